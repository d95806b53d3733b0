/**
 * A lease lost between a stage's `processing` mark and its run (the worker was paused past its
 * lease, another worker took the event): the stage is still called with its signal already
 * aborted, and a stage that hands that signal to fetch rejects at once. The run leaves the
 * event to its new owner — and that late rejection must not be left unhandled, which would end
 * the worker process with every other event it was running.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError } from '../../src/core/errors.js';
import { definePipeline } from '../../src/core/pipeline.js';
import { claimAndRun, insert, memoryStore, TestClock } from '../helpers/engine-fixtures.js';

describe('a lease lost just before a stage runs', () => {
  it('ends the run as lease_lost and leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const store = await memoryStore();
    try {
      const id = await insert(store);
      const lease = new AbortController();
      const pipeline = definePipeline({
        name: 'p',
        match: () => true,
        // As fetch does with an aborted signal: reject with its reason, a moment later.
        stages: [{ name: 's1', run: (ctx) => new Promise((_, reject) => setTimeout(() => reject(ctx.signal.reason), 5)) }],
      });
      const result = await claimAndRun(store, [pipeline], new TestClock(), {
        leaseSignal: lease.signal,
        failpoint: (name) => {
          if (name === 's1:before-run') lease.abort(new LeaseLostError(id, 'test-worker'));
        },
      });
      assert.equal(result?.status, 'lease_lost');
      await new Promise((resolve) => setTimeout(resolve, 50)); // the stage's late rejection, and its report
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
    }
  });
});
