/**
 * The worker loop: concurrency limit, graceful stop between stages, and a lost lease that
 * aborts the running stage and stops all writing.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline, type PipelineDefinition, type StageDefinition } from '../../src/core/pipeline.js';
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

/** The tests' pipeline: `stages`, for every event. */
function pipelineOf(...stages: StageDefinition[]) {
  return definePipeline({ name: 'p', match: () => true, stages });
}

/** A worker whose lease (300 ms) runs on `clock`, so a test can let it lapse; its results collected in order. */
function shortLeaseWorker(store: SqliteStore, pipeline: PipelineDefinition, workerId: string, clock: TestClock) {
  const results: RunEventResult[] = [];
  const worker = createWorker({
    store,
    pipelines: [pipeline],
    workerId,
    leaseMs: 300,
    pollMs: 5,
    now: clock.now,
    logger: silentLogger,
    onResult: (_e, r) => results.push(r),
  });
  return { worker, results };
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
    const pipeline = pipelineOf({
      name: 'slow',
      run: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await release.wait;
        inFlight -= 1;
      },
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
    const pipeline = pipelineOf(
      {
        name: 'first',
        run: async () => {
          firstStarted = true;
          await release.wait;
          return { finished: true };
        },
      },
      { name: 'second', run: async () => void (secondRan = true) },
    );
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
    const pipeline = pipelineOf({
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
    });
    const id = await insert(store);
    const { worker, results } = shortLeaseWorker(store, pipeline, 'paused-worker', clock);
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
  it('a stage running longer than the lease keeps it: the worker renews it and no other worker can claim the event', async () => {
    const release = gate();
    let started = false;
    const pipeline = pipelineOf({
      name: 'slow',
      timeoutMs: 10 * MINUTE,
      run: async () => {
        started = true;
        await release.wait;
      },
    });
    const id = await insert(store);
    const worker = createWorker({ store, pipelines: [pipeline], workerId: 'busy', leaseMs: 150, pollMs: 5, logger: silentLogger });
    worker.start();
    try {
      await until(async () => started);
      const claimed = (await store.getEvent(id))!;
      const firstExpiry = claimed.leaseExpiresAt!.getTime();
      // Wait (for the condition, not a time) until the first lease would have run out.
      await until(async () => Date.now() > firstExpiry + 20);
      assert.equal(await store.claimNextEvent({ workerId: 'thief', leaseMs: MINUTE, now: new Date() }), null);
      const event = await store.getEvent(id);
      assert.match(claimed.leaseOwner ?? '', /^busy#\d+$/);
      assert.equal(event?.leaseOwner, claimed.leaseOwner, 'still the first claim (not a fresh one)');
      assert.ok(event!.leaseExpiresAt!.getTime() > firstExpiry, 'the lease was renewed');
    } finally {
      release.open();
      await worker.stop();
    }
    assert.equal((await store.getEvent(id))?.status, 'succeeded');
  });
  it('a worker that overslept its own lease and claims the event again fences its first run out', async () => {
    // The event loop was blocked (or the clock jumped) past the lease: the claim loop finds the
    // event claimable and takes it again. The first run must then stop writing, as if another
    // worker had taken over; with one owner name for both runs, both would go on writing.
    const clock = new TestClock(Date.now());
    const firstCall = gate();
    const secondCall = gate();
    const signals: AbortSignal[] = [];
    const pipeline = pipelineOf({
      name: 'erp',
      timeoutMs: 10 * MINUTE,
      run: async (ctx) => {
        signals.push(ctx.signal);
        await (signals.length === 1 ? firstCall.wait : secondCall.wait);
        return { call: signals.length };
      },
    });
    const id = await insert(store);
    const { worker, results } = shortLeaseWorker(store, pipeline, 'sleepy', clock);
    worker.start();
    try {
      await until(async () => signals.length === 1);
      clock.advance(MINUTE);
      await until(async () => signals.length === 2);
      // A safety net, not a timing assertion: the first run learns at its next renewal.
      const deadline = Date.now() + 10_000;
      await until(async () => signals[0]!.aborted || Date.now() > deadline);
      assert.ok(signals[0]!.reason instanceof LeaseLostError, `first run's signal: ${String(signals[0]!.reason)}`);
      assert.equal(signals[1]!.aborted, false);
    } finally {
      firstCall.open();
      secondCall.open();
      await until(async () => results.length === 2);
      await worker.stop();
    }
    assert.deepEqual(results.map((r) => r.status).sort(), ['lease_lost', 'succeeded']);
    const [cp] = await store.getCheckpoints(id);
    assert.deepEqual(cp?.data, { call: 2 });
  });
});
