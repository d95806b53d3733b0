/**
 * Per-entity order and entity state machines: events of one payment delivered out of order
 * and processed concurrently end in the right state; stale and invalid moves are ignored.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline, type PipelineDefinition } from '../../src/core/pipeline.js';
import { decideTransition } from '../../src/core/state-machine.js';
import type { EventRecord } from '../../src/core/types.js';
import { createWorker } from '../../src/engine/worker.js';
import { retryEvent } from '../../src/engine/operations.js';
import { PermanentError } from '../../src/core/errors.js';
import { openStore } from '../../src/store/open.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { claimAndRun, delivery, insert, memoryStore, silentLogger, T0, TestClock } from '../helpers/engine-fixtures.js';

const STATES = ['pending', 'processing', 'succeeded', 'refunded'];
const machine = {
  states: STATES,
  transitions: { pending: ['processing', 'succeeded'], processing: ['succeeded'], succeeded: ['refunded'], refunded: [] },
  targetState: (e: EventRecord) => e.type,
};

/** A pipeline whose stage records, per entity, which events ran and whether two ran at once. */
function trackingPipeline(track: { ran: Map<string, string[]>; inFlight: Map<string, number>; overlaps: number }): PipelineDefinition {
  return definePipeline({
    name: 'payments',
    match: () => true,
    entity: machine,
    stages: [
      {
        name: 'apply',
        run: async (ctx) => {
          const key = ctx.event.entityKey!;
          const now = (track.inFlight.get(key) ?? 0) + 1;
          track.inFlight.set(key, now);
          if (now > 1) track.overlaps += 1;
          await new Promise((resolve) => setTimeout(resolve, 2));
          track.ran.set(key, [...(track.ran.get(key) ?? []), ctx.event.type]);
          track.inFlight.set(key, now - 1);
        },
      },
    ],
  });
}

describe('decideTransition', () => {
  const event = (type: string, occurredMs: number, id = 9) => ({ id, type, occurredAt: new Date(T0 + occurredMs) }) as EventRecord;
  const state = (s: string, occurredMs: number, eventId = 1) => ({
    entityKey: 'k',
    state: s,
    eventId,
    occurredAt: new Date(T0 + occurredMs),
    updatedAt: new Date(T0),
  });
  it('the first event may set any declared state', () => {
    assert.deepEqual(decideTransition(machine, event('succeeded', 0), null), { kind: 'apply', target: 'succeeded', expectedState: null });
  });
  it('an older event is stale', () => {
    assert.equal(decideTransition(machine, event('processing', 1), state('succeeded', 5)).kind, 'ignore');
  });
  it('an undeclared move, or the same state again, is invalid', () => {
    const back = decideTransition(machine, event('pending', 9), state('succeeded', 5));
    assert.ok(back.kind === 'ignore' && back.reason.kind === 'invalid_transition');
    const again = decideTransition(machine, event('succeeded', 9), state('succeeded', 5));
    assert.ok(again.kind === 'ignore' && again.reason.kind === 'invalid_transition');
  });
  it('a newer state reachable through a missing step is applied (a refund that outran its success)', () => {
    assert.deepEqual(decideTransition(machine, event('refunded', 9), state('processing', 5)), {
      kind: 'apply',
      target: 'refunded',
      expectedState: 'processing',
    });
  });
  it('a resumed run recognises its own write', () => {
    assert.equal(decideTransition(machine, event('succeeded', 5, 7), state('succeeded', 5, 7)).kind, 'already_applied');
  });
});

describe('entity order', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('a late processing after succeeded is recorded as stale and changes nothing', async () => {
    const track = { ran: new Map<string, string[]>(), inFlight: new Map<string, number>(), overlaps: 0 };
    const pipeline = trackingPipeline(track);
    await insert(store, { entityKey: 'pi_1', type: 'succeeded', occurredAt: new Date(T0 + 3000) });
    await claimAndRun(store, [pipeline], clock);
    const late = await insert(store, { entityKey: 'pi_1', type: 'processing', occurredAt: new Date(T0 + 2000) });
    const result = await claimAndRun(store, [pipeline], clock);
    assert.equal(result?.status, 'ignored');
    const event = await store.getEvent(late);
    assert.equal(event?.ignoreReason?.kind, 'stale_transition');
    assert.equal((await store.getEntityState('pi_1'))?.state, 'succeeded');
    assert.deepEqual(track.ran.get('pi_1'), ['succeeded']);
    assert.deepEqual(await store.getCheckpoints(late), []);
    // And a newer but undeclared move is invalid: succeeded → pending.
    const invalid = await insert(store, { entityKey: 'pi_1', type: 'pending', occurredAt: new Date(T0 + 9000) });
    await claimAndRun(store, [pipeline], clock);
    assert.equal((await store.getEvent(invalid))?.ignoreReason?.kind, 'invalid_transition');
    assert.equal((await store.getEntityState('pi_1'))?.state, 'succeeded');
  });

  it('a dead event retried after newer events of its entity finishes its own stages (the gate is passed once)', async () => {
    let failInvoice = true;
    const ran: string[] = [];
    const pipeline = definePipeline({
      name: 'payments',
      match: () => true,
      entity: machine,
      stages: [
        {
          name: 'invoice',
          run: async (ctx) => {
            if (failInvoice && ctx.event.type === 'succeeded') throw new PermanentError('ERP rejected');
            ran.push(ctx.event.type);
          },
        },
      ],
    });
    const succeeded = await insert(store, { entityKey: 'pi_9', type: 'succeeded', occurredAt: new Date(T0 + 1000) });
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead');
    await insert(store, { entityKey: 'pi_9', type: 'refunded', occurredAt: new Date(T0 + 2000) });
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    failInvoice = false;
    await retryEvent(store, succeeded, 'ops', null, clock.now());
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.deepEqual(ran, ['refunded', 'succeeded']);
    assert.equal((await store.getEntityState('pi_9'))?.state, 'refunded', 'the retry does not move the entity back');
  });

  it('events of many entities, delivered shuffled to three concurrent workers, end in the right state', async () => {
    await scrambledLifecycles(store, [store, store, store]);
  });
});

describe('entity order on PostgreSQL, three workers with their own connections', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  it('events of many entities, delivered shuffled, end in the right state', async () => {
    const { url } = await schemas.create();
    const stores = await Promise.all([0, 1, 2, 3].map(() => openStore(url)));
    try {
      await stores[0]!.migrate();
      await scrambledLifecycles(stores[0]!, stores.slice(1));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

/**
 * Twelve payments' four-step lifecycles: three waiting whole (newest first) when the workers
 * start, then half of the others with `succeeded` processed first, the rest delivered
 * scrambled while three workers (each with its own store: its own connections) run. Every payment ends `refunded`; what ran, ran in the provider's order and never two at
 * once; every other event is recorded as a stale transition.
 */
async function scrambledLifecycles(store: Store, workerStores: Store[]): Promise<void> {
  const track = { ran: new Map<string, string[]>(), inFlight: new Map<string, number>(), overlaps: 0 };
  const pipeline = trackingPipeline(track);
  const lifecycle = ['pending', 'processing', 'succeeded', 'refunded'];
  const entities = Array.from({ length: 12 }, (_, i) => `pi_${i}`);
  const drained = async (): Promise<void> => {
    while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const all = entities.flatMap((entityKey) =>
    lifecycle.map((type, i) => delivery({ entityKey, type, occurredAt: new Date(T0 + i * 1000), providerEventId: `${entityKey}-${type}` })),
  );
  // Three payments' whole lifecycles are already waiting, newest first, when the workers
  // start: claimed in occurrence order one at a time, all four of each run, none is stale.
  const together = ['pi_1', 'pi_3', 'pi_5'];
  await store.insertEvents(all.filter((d) => together.includes(d.entityKey!)).reverse());
  const workers = [1, 2, 3].map((n) =>
    createWorker({
      store: workerStores[n - 1]!,
      pipelines: [pipeline],
      workerId: `w${n}`,
      concurrency: 4,
      pollMs: 5,
      logger: silentLogger,
    }),
  );
  const early = all.filter((d) => d.type === 'succeeded' && Number(d.entityKey!.slice(3)) % 2 === 0);
  workers.forEach((w) => w.start());
  try {
    await drained();
    for (const entityKey of together) assert.deepEqual(track.ran.get(entityKey), lifecycle, entityKey);
    // Half the payments' "succeeded" arrives first and is processed: their pending and
    // processing events, delivered later, must be ignored as stale.
    await store.insertEvents(early);
    await drained();
    // The rest arrive in a scrambled order, a few at a time, while the workers run.
    const rest = all.filter((d) => !early.includes(d) && !together.includes(d.entityKey!));
    const order = rest
      .map((d, i) => ({ d, k: (i * 7919) % rest.length }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.d);
    for (let i = 0; i < order.length; i += 5) {
      await store.insertEvents(order.slice(i, i + 5));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await drained();
  } finally {
    // Also when an assertion failed: running workers would keep the test process alive.
    await Promise.all(workers.map((w) => w.stop()));
  }

  assert.equal(track.overlaps, 0, 'two events of one entity never ran at once');
  for (const entityKey of entities) {
    assert.equal((await store.getEntityState(entityKey))?.state, 'refunded', entityKey);
    const ran = track.ran.get(entityKey) ?? [];
    // Whatever was applied, was applied in the provider's order.
    assert.deepEqual(
      ran,
      lifecycle.filter((s) => ran.includes(s)),
      `${entityKey} ran ${ran.join(',')}`,
    );
    const events = (await store.listEvents({ entityKey }, { limit: 10 })).items;
    for (const e of events) {
      if (ran.includes(e.type)) assert.equal(e.status, 'succeeded');
      else {
        assert.equal(e.status, 'ignored', `${e.providerEventId} neither ran nor was ignored`);
        assert.equal(e.ignoreReason?.kind, 'stale_transition');
      }
    }
  }
  const ignored = await store.countEvents({ status: 'ignored' });
  const succeeded = await store.countEvents({ status: 'succeeded' });
  assert.equal(ignored + succeeded, all.length);
  assert.ok(ignored >= early.length * 2, 'every early-succeeded payment had two stale events ignored');
}
