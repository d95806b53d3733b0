/**
 * What a stage receives: a logger bound once to its event and stage, an idempotency key that
 * never changes for one event and stage (attempts, crash, manual retry, deliberate re-run),
 * the attempt number, and a signal that fires when the worker shuts down.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { definePipeline } from '../../src/core/pipeline.js';
import { PermanentError, RetriableError } from '../../src/core/errors.js';
import { rerunStage, retryEvent } from '../../src/engine/operations.js';
import { createWorker } from '../../src/engine/worker.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

/** Resolves once `predicate` holds (the condition, not the time, is asserted). */
async function until(predicate: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('stage context', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('a worker log line names its event and stage once each (no {"eventId":30,"eventId":30})', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'invoice',
          retry: { delaysMs: [] },
          run: async (ctx) => {
            // A stage passing the bound keys as its own fields must not print them twice either.
            ctx.log.info('creating invoice', { eventId: 999, stage: 'other', invoice: 'FV-1' });
            throw new RetriableError('ERP busy');
          },
        },
      ],
    });
    const id = await insert(store);
    const worker = createWorker({ store, pipelines: [pipeline], workerId: 'w1', pollMs: 5, logger });
    worker.start();
    await until(async () => (await store.getEvent(id))?.status === 'dead');
    await worker.stop();

    const stageLines = lines.filter((line) => line.includes('"stage"'));
    assert.ok(stageLines.length >= 2, `stage lines: ${lines.join('')}`);
    for (const line of lines) {
      for (const key of ['eventId', 'stage', 'worker']) {
        const times = line.split(`"${key}":`).length - 1;
        assert.ok(times <= 1, `"${key}" appears ${times} times in ${line}`);
      }
    }
    const created = stageLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'creating invoice');
    assert.equal(created?.eventId, id);
    assert.equal(created?.stage, 'invoice');
    assert.equal(created?.worker, 'w1');
    assert.equal(created?.invoice, 'FV-1');
    const failed = stageLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'stage failed');
    assert.equal(failed?.eventId, id);
    assert.equal(failed?.stage, 'invoice');
    // The event's own log keeps what the stage wrote, as it wrote it.
    const stored = (await store.getEventLogs(id)).find((l) => l.message === 'creating invoice');
    assert.deepEqual(stored?.fields, { eventId: 999, stage: 'other', invoice: 'FV-1' });
  });

  it('one idempotency key per event and stage: attempts, a crash, a manual retry and a re-run all send it', async () => {
    const seen: { key: string; attempt: number }[] = [];
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'invoice',
          retry: { delaysMs: [0, 0, 0, 0, 0] },
          run: async (ctx) => {
            seen.push({ key: ctx.idempotencyKey, attempt: ctx.attempt });
            if (seen.length === 1) throw new RetriableError('ERP busy');
            if (seen.length === 2) throw new PermanentError('ERP rejected the customer');
            return { invoice: seen.length };
          },
        },
        { name: 'other', run: async (ctx) => ({ key: ctx.idempotencyKey }) },
      ],
    });
    const id = await insert(store, { providerEventId: 'ref-373' });
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'retrying'); // attempt 1
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead'); // attempt 2
    await retryEvent(store, id, 'ops', null, clock.now());
    // Attempt 3 is interrupted after its effect: the worker dies before the outcome.
    await claimAndRun(store, [pipeline], clock, {
      failpoint: (name) => {
        if (name === 'invoice:after-run') throw new Error('worker died');
      },
    }).catch(() => undefined);
    clock.advance(2 * MINUTE);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded'); // attempt 4
    await rerunStage(store, [pipeline], id, 'invoice', 'ops', null, clock.now());
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded'); // attempt 5

    assert.deepEqual(
      seen.map((s) => s.attempt),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual([...new Set(seen.map((s) => s.key))], ['webpig:epayco:ref-373:invoice']);
    const other = (await store.getCheckpoints(id)).find((c) => c.stage === 'other');
    assert.deepEqual(other?.data, { key: 'webpig:epayco:ref-373:other' }, 'each stage has its own key');
  });

  it("shutting down with abort fires the running stage's signal; it is recorded as a retriable WORKER_SHUTDOWN", async () => {
    let started = false;
    let reason: unknown;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'erp',
          timeoutMs: 10 * MINUTE,
          run: (ctx) =>
            new Promise((_resolve, reject) => {
              started = true;
              ctx.signal.addEventListener('abort', () => {
                reason = ctx.signal.reason;
                reject(ctx.signal.reason);
              });
            }),
        },
      ],
    });
    const id = await insert(store);
    const worker = createWorker({ store, pipelines: [pipeline], pollMs: 5, logger: pino({ level: 'silent' }) });
    worker.start();
    await until(() => started);
    await worker.stop({ abort: true });
    assert.ok(reason instanceof Error && /stopped while the stage ran/.test(reason.message), String(reason));
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.status, 'error');
    assert.equal(cp?.error?.code, 'WORKER_SHUTDOWN');
    assert.equal(cp?.error?.retriable, true);
    const event = await store.getEvent(id);
    assert.equal(event?.status, 'retrying');
    assert.equal(event?.leaseOwner, null);
  });
});
