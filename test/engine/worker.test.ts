/**
 * The worker loop: concurrency limit, graceful stop between stages, and a lost lease that
 * aborts the running stage and stops all writing.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { LeaseLostError } from '../../src/core/errors.js';
import type { RunEventResult } from '../../src/engine/runner.js';
import { createWorker } from '../../src/engine/worker.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { insert, memoryStore, MINUTE, silentLogger, TestClock } from '../helpers/engine-fixtures.js';

/** A promise the test resolves when it wants a stage to go on. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

/** Resolves once `predicate` holds, polling the store (the condition, not the time, is asserted). */
async function until(predicate: () => Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('worker', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = await memoryStore();
  });
  afterEach(() => store.close());

  it('runs at most `concurrency` events at once', async () => {
    const release = gate();
    let inFlight = 0;
    let maxInFlight = 0;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'slow',
          run: async () => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await release.wait;
            inFlight -= 1;
          },
        },
      ],
    });
    for (let i = 0; i < 7; i++) await insert(store);
    const worker = createWorker({ store, pipelines: [pipeline], concurrency: 3, pollMs: 5, logger: silentLogger });
    worker.start();
    await until(async () => inFlight === 3);
    assert.equal(await store.countEvents({ status: 'processing' }), 3);
    release.open();
    await until(async () => (await store.countEvents({ status: 'succeeded' })) === 7);
    await worker.stop();
    assert.equal(maxInFlight, 3);
  });

  it('a graceful stop lets the running stage finish, starts no other, and gives the event back', async () => {
    const release = gate();
    let secondRan = false;
    let firstStarted = false;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'first',
          run: async () => {
            firstStarted = true;
            await release.wait;
            return { finished: true };
          },
        },
        { name: 'second', run: async () => void (secondRan = true) },
      ],
    });
    const id = await insert(store);
    const results: RunEventResult[] = [];
    const worker = createWorker({ store, pipelines: [pipeline], pollMs: 5, logger: silentLogger, onResult: (_e, r) => results.push(r) });
    worker.start();
    await until(async () => firstStarted);
    const stopped = worker.stop();
    release.open();
    await stopped;
    assert.equal(secondRan, false);
    assert.equal(results[0]?.status, 'released');
    const event = await store.getEvent(id);
    assert.equal(event?.status, 'queued');
    assert.equal(event?.leaseOwner, null);
    const checkpoints = await store.getCheckpoints(id);
    assert.deepEqual(checkpoints.find((c) => c.stage === 'first')?.data, { finished: true });
    assert.notEqual(checkpoints.find((c) => c.stage === 'second')?.status, 'success');
  });

  it('a lost lease aborts the running stage and the worker writes nothing more', async () => {
    const clock = new TestClock(Date.now());
    let abortReason: unknown;
    let started = false;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'erp',
          timeoutMs: 10 * MINUTE,
          run: (ctx) =>
            new Promise((resolve) => {
              started = true;
              ctx.signal.addEventListener('abort', () => {
                abortReason = ctx.signal.reason;
                resolve({ late: true });
              });
            }),
        },
      ],
    });
    const id = await insert(store);
    const results: RunEventResult[] = [];
    const worker = createWorker({
      store, pipelines: [pipeline], workerId: 'paused-worker', leaseMs: 300, pollMs: 5, now: clock.now,
      logger: silentLogger, onResult: (_e, r) => results.push(r),
    });
    worker.start();
    await until(async () => started);
    // The worker is "paused" past its lease; another worker claims the event.
    clock.advance(MINUTE);
    const stolen = await store.claimNextEvent({ workerId: 'other-worker', leaseMs: 10 * MINUTE, now: clock.now() });
    assert.equal(stolen?.id, id);
    await until(async () => results.length === 1);
    await worker.stop();
    assert.equal(results[0]?.status, 'lease_lost');
    assert.ok(abortReason instanceof LeaseLostError);
    const event = await store.getEvent(id);
    assert.equal(event?.leaseOwner, 'other-worker');
    assert.equal(event?.status, 'processing');
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.status, 'processing', 'the old worker wrote no outcome');
  });
});
