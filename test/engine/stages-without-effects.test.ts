/**
 * Stages declared `effects: 'none'` (a calculation, a look-up): no `processing` mark of their
 * own on an event's first claim, their outcomes carried by the run's next write; after an
 * interruption they simply run again, marked from then on. Stages with effects keep the
 * protocol unchanged: their mark, carrying the outcomes held so far, is durable before `run`.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { definePipeline, type StageDefinition } from '../../src/core/pipeline.js';
import type { CheckpointWrite } from '../../src/store/store.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, CountingStages, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

/** What one `writeCheckpoints` call carried for one event: its outcomes' stages, the stage it marks, its finish. */
interface WriteShape {
  outcomes: string[];
  start?: string;
  finish?: string;
}

/** Records the shape of every checkpoint write the real store receives (the writes still happen). */
function recordWrites(store: SqliteStore): WriteShape[] {
  const seen: WriteShape[] = [];
  const write = store.writeCheckpoints.bind(store);
  store.writeCheckpoints = (writes: CheckpointWrite[]) => {
    for (const w of writes) {
      const shape: WriteShape = { outcomes: w.outcomes.map((o) => `${o.stage}:${o.outcome.status}`) };
      if (w.start) shape.start = w.start.stage;
      if (w.finish) shape.finish = w.finish.status;
      seen.push(shape);
    }
    return write(writes);
  };
  return seen;
}

describe("stages without effects (effects: 'none')", () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('run on a first claim without a mark; their outcomes go with the next stage’s mark, durable before its effect', async () => {
    const stages = new CountingStages();
    const seenByInvoice: string[] = [];
    const seenByLookup: string[] = [];
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('read', { effects: 'none' }),
        {
          name: 'lookup',
          effects: 'none',
          run: async (ctx) => {
            // Nothing of this run is stored yet: no mark for `read` or for this stage.
            for (const c of await store.getCheckpoints(ctx.event.id)) seenByLookup.push(`${c.stage}:${c.status}`);
            return { customer: 'Ana' };
          },
        },
        {
          name: 'invoice',
          run: async (ctx) => {
            for (const c of await store.getCheckpoints(ctx.event.id)) seenByInvoice.push(`${c.stage}:${c.status}/${c.attempts}`);
            return { invoice: 1 };
          },
        },
      ],
    });
    const id = await insert(store);
    const writes = recordWrites(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');

    assert.deepEqual(seenByLookup, []);
    assert.deepEqual(seenByInvoice, ['read:success/1', 'lookup:success/1', 'invoice:processing/1']);
    assert.deepEqual(writes, [
      { outcomes: ['read:success', 'lookup:success'], start: 'invoice' },
      { outcomes: ['invoice:success'], finish: 'succeeded' },
    ]);
    const checkpoints = await store.getCheckpoints(id);
    assert.deepEqual(
      checkpoints.map((c) => [c.stage, c.status, c.attempts, c.history.length]),
      [
        ['read', 'success', 1, 1],
        ['lookup', 'success', 1, 1],
        ['invoice', 'success', 1, 1],
      ],
    );
    assert.deepEqual(checkpoints[1]?.data, { customer: 'Ana' });
    assert.equal(stages.count('read'), 1);
  });

  it('a pipeline of stages without effects costs one write an event: the outcomes with the finish', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: ['a', 'b', 'c'].map((name) => stages.stage(name, { effects: 'none' })),
    });
    await insert(store);
    const writes = recordWrites(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.deepEqual(writes, [{ outcomes: ['a:success', 'b:success', 'c:success'], finish: 'succeeded' }]);
  });

  it('interrupted before its outcome was written, it runs again, marked on the second claim; the stage with effects after it runs once', async () => {
    const stages = new CountingStages();
    let marked: string | undefined;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'lookup',
          effects: 'none',
          retry: { delaysMs: [0] },
          run: async (ctx) => {
            const cp = (await store.getCheckpoints(ctx.event.id)).find((c) => c.stage === 'lookup');
            marked = `${cp?.status}/${cp?.attempts}`;
            return { found: true };
          },
        },
        stages.stage('invoice', { dependsOn: ['lookup'] }),
      ],
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock, {
      failpoint: (name) => {
        if (name === 'lookup:after-run') throw new Error('worker died');
      },
    }).catch(() => undefined);
    assert.equal(marked, 'undefined/undefined', 'no mark on the first claim');
    assert.deepEqual(await store.getCheckpoints(id), [], 'the lost run left no checkpoint: nothing to look up');

    clock.advance(2 * MINUTE);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.equal(marked, 'processing/1', 'on a later claim the stage is marked before it runs');
    assert.equal(stages.count('invoice'), 1);
    assert.deepEqual(
      (await store.getCheckpoints(id)).map((c) => [c.stage, c.status, c.attempts]),
      [
        ['lookup', 'success', 1],
        ['invoice', 'success', 1],
      ],
    );
  });

  it('one that kills its worker every time still ends INTERRUPTED_TOO_OFTEN, one claim later than a marked stage', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [stages.stage('oom', { effects: 'none', retry: { delaysMs: [0] } })],
    });
    const id = await insert(store);
    const dies = {
      failpoint: (name: string) => {
        if (name === 'oom:before-run') throw new Error('worker died');
      },
    };
    for (let i = 0; i < 3; i++) {
      await claimAndRun(store, [pipeline], clock, dies).catch(() => undefined);
      clock.advance(2 * MINUTE);
    }
    const result = await claimAndRun(store, [pipeline], clock, dies);
    assert.equal(result?.status, 'dead');
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.error?.code, 'INTERRUPTED_TOO_OFTEN');
    assert.equal(cp?.attempts, 2);
  });

  it('a failure is recorded with the run’s finish and retried by the stage’s policy', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('lookup', { effects: 'none', retry: { delaysMs: [MINUTE] } }, (call) => {
          if (call === 1) throw new Error('FR360 did not answer');
          return { found: true };
        }),
      ],
    });
    const id = await insert(store);
    const writes = recordWrites(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'retrying');
    assert.deepEqual(writes, [{ outcomes: ['lookup:error'], finish: 'retrying' }]);
    const [failed] = await store.getCheckpoints(id);
    assert.equal(failed?.error?.message, 'FR360 did not answer');
    clock.advance(2 * MINUTE);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.deepEqual(
      (await store.getCheckpoints(id))[0]?.history.map((h) => [h.attempt, h.status, h.note]),
      [
        [1, 'error', null],
        [2, 'success', 'retry after error'],
      ],
    );
  });

  it('definePipeline refuses effects it does not know, and a stage without effects that declares a look-up of them', () => {
    const pipeline = (stage: Partial<StageDefinition>) =>
      definePipeline({ name: 'p', match: () => true, stages: [{ name: 'lookup', run: async () => undefined, ...stage }] });
    assert.throws(
      () => pipeline({ effects: 'read-only' as StageDefinition['effects'] }),
      (err: unknown) =>
        err instanceof ConfigError && /stage "lookup" has effects "read-only"; use 'external' \(the default\) or 'none'/.test(err.message),
    );
    assert.throws(
      () => pipeline({ effects: 'none', reconcile: async () => undefined }),
      (err: unknown) => err instanceof ConfigError && /effects 'none' and reconcile\(\)/.test(err.message),
    );
    assert.throws(
      () => pipeline({ effects: 'none', countEffects: async () => 0 }),
      (err: unknown) => err instanceof ConfigError && /effects 'none' and countEffects\(\)/.test(err.message),
    );
    assert.doesNotThrow(() => pipeline({ effects: 'external', reconcile: async () => undefined }));
  });
});
