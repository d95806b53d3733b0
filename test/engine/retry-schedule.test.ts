/**
 * The default retry schedule is the seeds' retry guide (webhook-retry-guide.md): attempt 1 at
 * once, attempt 2 one minute after it fails, attempt 3 five minutes after that, attempt 4
 * fifteen minutes after that, then the event is dead. A pipeline, or a stage, can say otherwise.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline, type PipelineDefinition, type RetryPolicy } from '../../src/core/pipeline.js';
import { ConfigError } from '../../src/core/errors.js';
import { HttpCallError } from '../../src/engine/errors.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

/** A pipeline whose one stage always fails retriably, recording when each attempt ran. */
function alwaysFailing(
  attemptTimes: number[],
  clock: TestClock,
  retry: { pipeline?: RetryPolicy; stage?: RetryPolicy } = {},
): PipelineDefinition {
  return definePipeline({
    name: 'p',
    match: () => true,
    ...(retry.pipeline ? { retry: retry.pipeline } : {}),
    stages: [
      {
        name: 'erp',
        ...(retry.stage ? { retry: retry.stage } : {}),
        run: async () => {
          attemptTimes.push(clock.ms);
          throw new HttpCallError(503, 'ERP unavailable');
        },
      },
    ],
  });
}

/** Runs the event whenever it is due, minute by minute, until it is dead (or 2 h have passed). */
async function runUntilDead(store: SqliteStore, pipeline: PipelineDefinition, clock: TestClock): Promise<string | undefined> {
  let last: string | undefined;
  for (let minute = 0; minute <= 120 && last !== 'dead'; minute++) {
    const result = await claimAndRun(store, [pipeline], clock);
    if (result) last = result.status;
    else clock.advance(MINUTE);
  }
  return last;
}

describe('the default retry schedule (the retry guide)', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('attempts at once, +1 min, +5 min after that, +15 min after that, then dead: four attempts', async () => {
    const times: number[] = [];
    const id = await insert(store);
    const start = clock.ms;
    assert.equal(await runUntilDead(store, alwaysFailing(times, clock), clock), 'dead');
    assert.deepEqual(
      times.map((t) => (t - start) / MINUTE),
      [0, 1, 6, 21],
      'minutes after receipt of attempts 1–4',
    );
    const [checkpoint] = await store.getCheckpoints(id);
    assert.equal(checkpoint?.attempts, 4);
    assert.equal((await store.getEvent(id))?.status, 'dead');
  });

  it("a pipeline's policy applies to its stages that have none", async () => {
    const times: number[] = [];
    await insert(store);
    const start = clock.ms;
    const pipeline = alwaysFailing(times, clock, { pipeline: { delaysMs: [2 * MINUTE] } });
    assert.equal(await runUntilDead(store, pipeline, clock), 'dead');
    assert.deepEqual(
      times.map((t) => (t - start) / MINUTE),
      [0, 2],
    );
  });

  it("a stage's own policy wins over its pipeline's", async () => {
    const times: number[] = [];
    await insert(store);
    const pipeline = alwaysFailing(times, clock, { pipeline: { delaysMs: [MINUTE, MINUTE, MINUTE] }, stage: { delaysMs: [] } });
    assert.equal(await runUntilDead(store, pipeline, clock), 'dead');
    assert.equal(times.length, 1, 'an empty policy: one attempt, no retry');
  });

  it('a pipeline policy with a negative or non-numeric delay is refused, naming the pipeline', () => {
    for (const delaysMs of [[-1], [Number.NaN], ['60000' as unknown as number]]) {
      assert.throws(
        () => definePipeline({ name: 'orders', match: () => true, retry: { delaysMs }, stages: [{ name: 's', run: async () => {} }] }),
        (err: unknown) => err instanceof ConfigError && /pipeline "orders"/.test(err.message) && /retry delay/.test(err.message),
      );
    }
  });
});
