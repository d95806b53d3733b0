/**
 * Operator actions: re-run one stage on purpose (same idempotency key, audited, nothing else
 * re-runs), refusals, and retrying every dead event.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { PermanentError, RetriableError, WebpigError } from '../../src/core/errors.js';
import { rerunStage, retryDead, retryEvent } from '../../src/engine/operations.js';
import type { JsonValue } from '../../src/core/types.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, CountingStages, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

describe('operations', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('rerunStage runs that one stage again with the same idempotency key and audits who did it', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [stages.stage('invoice'), stages.stage('dian', { dependsOn: ['invoice'] }), stages.stage('cartera')],
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    const event = await rerunStage(store, [pipeline], id, 'dian', 'ana@example.com', '10.0.0.1', clock.now());
    assert.equal(event.status, 'queued');
    const again = await claimAndRun(store, [pipeline], clock);
    assert.deepEqual(again?.stagesRun, ['dian']);
    assert.deepEqual(
      ['invoice', 'dian', 'cartera'].map((s) => stages.count(s)),
      [1, 2, 1],
    );
    const keys = stages.keys.get('dian')!;
    assert.equal(keys[0], keys[1]);
    assert.match(keys[0]!, /^webpig:epayco:evt-\d+:dian$/);
    const dian = (await store.getCheckpoints(id)).find((c) => c.stage === 'dian');
    assert.equal(dian?.attempts, 2);
    assert.ok(dian?.history.some((h) => h.note === 'manual re-run'));
    const [audit] = (await store.listAudit({ action: 'stage.rerun' })).items;
    assert.equal(audit?.actor, 'ana@example.com');
    assert.equal(audit?.remoteAddress, '10.0.0.1');
    assert.deepEqual(audit?.details, { stage: 'dian', previousStatus: 'succeeded' });
  });

  it('refuses an unknown stage, a missing event, and an event a worker is running', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({ name: 'p', match: () => true, stages: [stages.stage('invoice')] });
    const id = await insert(store);
    const code = (c: string) => (err: unknown) => err instanceof WebpigError && err.code === c;
    await assert.rejects(rerunStage(store, [pipeline], id, 'nope', 'ops', null, clock.now()), code('STAGE_UNKNOWN'));
    await assert.rejects(rerunStage(store, [pipeline], 999, 'invoice', 'ops', null, clock.now()), code('EVENT_NOT_FOUND'));
    await assert.rejects(retryEvent(store, 999, 'ops', null, clock.now()), code('EVENT_NOT_FOUND'));
    await store.claimNextEvent({ workerId: 'w', leaseMs: 60_000, now: clock.now() });
    await assert.rejects(rerunStage(store, [pipeline], id, 'invoice', 'ops', null, clock.now()), code('EVENT_BUSY'));
    assert.equal((await store.listAudit({})).items.length, 0, 'refused actions are not audited as done');
  });

  it('retryDead requeues every dead event, and only those', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: (e) => e.type !== 'fine',
      stages: [
        stages.stage('x', {}, () => {
          throw new PermanentError('broken');
        }),
      ],
    });
    const dead = [await insert(store), await insert(store)];
    await insert(store, { type: 'fine' }); // no pipeline → ignored, not dead
    for (let i = 0; i < 3; i++) await claimAndRun(store, [pipeline], clock);
    const ids = await retryDead(store, 'ops', null, clock.now());
    assert.deepEqual(ids.sort(), dead.sort());
    assert.equal(await store.countEvents({ status: 'queued' }), 2);
    assert.equal((await store.listAudit({ action: 'event.retry' })).items.length, 2);
  });
  it('retryEvent puts a retrying event back in the queue now, not at its scheduled time', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('erp', { retry: { delaysMs: [15 * MINUTE] } }, (call) => {
          if (call === 1) throw new RetriableError('ERP busy');
        }),
      ],
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'retrying');
    assert.equal(await claimAndRun(store, [pipeline], clock), null, 'not due for 15 minutes');
    const queued = await retryEvent(store, id, 'ops', null, clock.now());
    assert.equal(queued.status, 'queued');
    const run = await claimAndRun(store, [pipeline], clock);
    assert.equal(run?.eventId, id);
    assert.equal(run?.status, 'succeeded');
    assert.equal(stages.count('erp'), 2);
    const [audit] = (await store.listAudit({ action: 'event.retry' })).items;
    assert.deepEqual(audit?.details, { previousStatus: 'retrying', manualRetries: 1 });
  });
  it('rerunStage of a stage cut off mid-effect reconciles first: the effect found is not made again', async () => {
    const effects = new Map<string, JsonValue>();
    let runs = 0;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'ledger',
          reconcile: async (ctx) => effects.get(ctx.idempotencyKey),
          run: async (ctx) => {
            runs += 1;
            effects.set(ctx.idempotencyKey, { entry: runs });
            return { entry: runs };
          },
        },
      ],
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock, {
      failpoint: (name) => {
        if (name === 'ledger:after-run') throw new Error('worker died');
      },
    }).catch(() => undefined);
    clock.advance(2 * MINUTE); // the dead worker's lease is over: the operator may act
    await rerunStage(store, [pipeline], id, 'ledger', 'ops', null, clock.now());
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.equal(runs, 1, 'the effect was found, not made twice');
    const [cp] = await store.getCheckpoints(id);
    assert.deepEqual(cp?.data, { entry: 1 });
    assert.ok(
      cp?.history.some((h) => h.note === 'recovered by reconcile'),
      JSON.stringify(cp?.history),
    );
  });

  // The seeds' incident, one step on: the service made the invoice and answered a 4xx all the
  // same (a permanent error, so the event is dead and waits for someone). The operator's retry
  // (of the event, or of the stage) must look the invoice up before making another.
  for (const how of ['retry of the event', 're-run of the stage'] as const) {
    it(`after a permanent error, an operator's ${how} reconciles first: the effect made before the 4xx is found`, async () => {
      let made = 0;
      let lookups = 0;
      const pipeline = definePipeline({
        name: 'p',
        match: () => true,
        stages: [
          {
            name: 'invoice',
            reconcile: async () => {
              lookups += 1;
              return made > 0 ? { invoice: made } : undefined;
            },
            run: async () => {
              made += 1; // the service made the invoice...
              throw new PermanentError('422 from the ERP'); // ...and refused the reply all the same
            },
          },
        ],
      });
      const id = await insert(store);
      assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead');
      if (how === 'retry of the event') await retryEvent(store, id, 'ops', null, clock.now());
      else await rerunStage(store, [pipeline], id, 'invoice', 'ops', null, clock.now());
      assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
      assert.equal(made, 1, 'the invoice was found, not made twice');
      assert.equal(lookups, 1);
      const [cp] = await store.getCheckpoints(id);
      assert.deepEqual(cp?.data, { invoice: 1 });
    });
  }
});
