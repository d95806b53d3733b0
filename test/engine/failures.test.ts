/**
 * Error classification, backoff per stage policy, dead events with alerts, timeouts.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_RETRY_DELAYS_MS, definePipeline, type StageDefinition } from '../../src/core/pipeline.js';
import { PermanentError, RetriableError } from '../../src/core/errors.js';
import { retryDelayMs } from '../../src/engine/backoff.js';
import { classifyError, HttpCallError, parseRetryAfter, requestedRetryDelayMs } from '../../src/engine/errors.js';
import { retryEvent } from '../../src/engine/operations.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

describe('classifyError', () => {
  const cases: [string, unknown, boolean, string | undefined][] = [
    ['RetriableError', new RetriableError('later'), true, 'RETRIABLE'],
    ['PermanentError', new PermanentError('no', { code: 'BAD_DOC' }), false, 'BAD_DOC'],
    ['HTTP 500', new HttpCallError(500, 'x'), true, 'HTTP_500'],
    ['HTTP 503', new HttpCallError(503, 'x'), true, 'HTTP_503'],
    ['HTTP 429', new HttpCallError(429, 'x'), true, 'HTTP_429'],
    ['HTTP 409 (lock)', new HttpCallError(409, 'x'), true, 'HTTP_409'],
    ['HTTP 400', new HttpCallError(400, 'x'), false, 'HTTP_400'],
    ['HTTP 404', new HttpCallError(404, 'x'), false, 'HTTP_404'],
    ['HTTP 422', new HttpCallError(422, 'x'), false, 'HTTP_422'],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true, 'ECONNREFUSED'],
    [
      'fetch failed wrapping ECONNRESET',
      new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }),
      true,
      'ECONNRESET',
    ],
    ['fetch failed', new TypeError('fetch failed'), true, 'FETCH_FAILED'],
    ['AbortError', new DOMException('aborted', 'AbortError'), true, 'ABORTED'],
    ['unknown error', new Error('boom'), true, 'UNKNOWN'],
    ['a thrown string', 'boom', true, 'UNKNOWN'],
  ];
  for (const [name, err, retriable, code] of cases) {
    it(`${name} → ${retriable ? 'retriable' : 'permanent'}`, () => {
      const info = classifyError(err);
      assert.equal(info.retriable, retriable);
      assert.equal(info.code, code);
    });
  }
  it('keeps the HTTP status', () => assert.equal(classifyError(new HttpCallError(503, 'x')).httpStatus, 503));
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 5 ', now), 5_000);
    assert.equal(parseRetryAfter('Thu, 15 Jan 2026 12:01:30 GMT', now), 90_000);
  });
  it('ignores what asks for no wait or is not a Retry-After value', () => {
    for (const value of [null, undefined, '', '0', '-5', '1.5', 'soon', 'Thu, 15 Jan 2026 11:00:00 GMT']) {
      assert.equal(parseRetryAfter(value, now), undefined, String(value));
    }
  });
  it('a 429 with Retry-After delays the next attempt beyond the policy', () => {
    const err = new HttpCallError(429, 'slow down', { retryAfterMs: parseRetryAfter('600', now) });
    assert.equal(classifyError(err).retriable, true);
    assert.equal(retryDelayMs({ delaysMs: [...DEFAULT_RETRY_DELAYS_MS] }, 2, requestedRetryDelayMs(err)), 600_000);
  });
});

describe('retryDelayMs', () => {
  it("follows the retry guide's default: +1 min, +5 min, +15 min after the first three failures, then none", () => {
    const policy = { delaysMs: [...DEFAULT_RETRY_DELAYS_MS] };
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(policy, n, undefined)),
      [60_000, 300_000, 900_000, null],
    );
  });
  it('an empty policy means no retry', () => assert.equal(retryDelayMs({ delaysMs: [] }, 1, undefined), null));
  it('a Retry-After raises the delay, never lowers it', () => {
    assert.equal(retryDelayMs({ delaysMs: [1000] }, 1, 5000), 5000);
    assert.equal(retryDelayMs({ delaysMs: [1000] }, 1, 10), 1000);
  });
});

describe('retries, dead events and alerts', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  const pipelineOf = (stage: StageDefinition) => definePipeline({ name: 'p', match: () => true, stages: [stage] });

  it('a retriable error backs off per the policy and, exhausted, the event is dead with an alert', async () => {
    let calls = 0;
    const pipeline = pipelineOf({
      name: 'erp',
      retry: { delaysMs: [0, MINUTE] },
      run: async () => {
        calls += 1;
        throw new HttpCallError(503, 'ERP unavailable');
      },
    });
    const id = await insert(store);
    const first = await claimAndRun(store, [pipeline], clock);
    assert.equal(first?.status, 'retrying');
    const second = await claimAndRun(store, [pipeline], clock); // delay 0: due at once
    assert.equal(second?.status, 'retrying');
    assert.equal((await store.getEvent(id))?.nextAttemptAt?.getTime(), clock.ms + MINUTE);
    assert.equal(await claimAndRun(store, [pipeline], clock), null, 'not due before its minute');
    clock.advance(MINUTE);
    const third = await claimAndRun(store, [pipeline], clock);
    assert.equal(third?.status, 'dead');
    assert.equal(calls, 3);
    const event = await store.getEvent(id);
    assert.equal(event?.lastError?.code, 'HTTP_503');
    assert.equal(event?.lastError?.httpStatus, 503);
    const alerts = (await store.listAlerts()).items;
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.kind, 'dead');
    assert.equal(alerts[0]?.eventId, id);
    assert.equal(alerts[0]?.stage, 'erp');
    assert.deepEqual(
      alerts[0]?.details,
      { code: 'HTTP_503', error: 'ERP unavailable', attempts: 3 },
      'the alert says how often it was tried',
    );
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.attempts, 3);
    assert.deepEqual(
      cp?.history.map((h) => h.status),
      ['error', 'error', 'error'],
    );
  });

  it('a permanent error makes the event dead at once, with the error in the checkpoint', async () => {
    let calls = 0;
    const pipeline = pipelineOf({
      name: 'dian',
      run: async () => {
        calls += 1;
        throw new HttpCallError(422, 'NIT inválido');
      },
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead');
    assert.equal(calls, 1);
    const [cp] = await store.getCheckpoints(id);
    assert.deepEqual(cp?.error, { message: 'NIT inválido', code: 'HTTP_422', retriable: false, httpStatus: 422 });
    assert.deepEqual(
      cp?.history.map((h) => [h.attempt, h.status, h.error]),
      [[1, 'error', cp?.error]],
      'and in its attempt history',
    );
    assert.ok(cp?.completedAt && cp.durationMs !== null);
    assert.equal((await store.listAlerts()).items[0]?.kind, 'dead');
  });

  it('RetriableError.retryAfterMs delays the next attempt beyond the policy', async () => {
    const pipeline = pipelineOf({
      name: 'crm',
      run: async () => {
        throw new RetriableError('rate limited', { retryAfterMs: 7 * MINUTE });
      },
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    assert.equal((await store.getEvent(id))?.nextAttemptAt?.getTime(), clock.ms + 7 * MINUTE);
  });

  it('a timeout aborts the stage signal and is a retriable STAGE_TIMEOUT error', async () => {
    let abortedWith: unknown;
    const pipeline = pipelineOf({
      name: 'slow',
      timeoutMs: 50,
      run: (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            abortedWith = ctx.signal.reason;
            resolve({ tooLate: true });
          });
        }),
    });
    const id = await insert(store);
    const result = await claimAndRun(store, [pipeline], clock);
    assert.equal(result?.status, 'retrying');
    assert.ok(abortedWith instanceof Error && /within 50 ms/.test(abortedWith.message));
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.status, 'error');
    assert.equal(cp?.error?.code, 'STAGE_TIMEOUT');
    assert.equal(cp?.error?.retriable, true);
  });

  it('a stage that ignores its signal is not waited for past its timeout', async () => {
    const pipeline = pipelineOf({ name: 'stuck', timeoutMs: 30, run: () => new Promise(() => undefined) });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'retrying');
    assert.equal((await store.getCheckpoints(id))[0]?.error?.code, 'STAGE_TIMEOUT');
  });

  it('an event retried by hand more than once raises a "retried" alert, and each retry is audited', async () => {
    const pipeline = pipelineOf({
      name: 'x',
      run: async () => {
        throw new PermanentError('still broken');
      },
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    await retryEvent(store, id, 'ana@example.com', '127.0.0.1', clock.now());
    await claimAndRun(store, [pipeline], clock);
    assert.deepEqual(
      (await store.listAlerts()).items.map((a) => [a.kind, a.occurrences]),
      [['dead', 2]],
      'dead twice: one issue, counted twice',
    );
    await retryEvent(store, id, 'ana@example.com', '127.0.0.1', clock.now());
    const kinds = (await store.listAlerts()).items.map((a) => a.kind);
    assert.equal(kinds.filter((k) => k === 'retried').length, 1);
    const audit = (await store.listAudit({ action: 'event.retry' })).items;
    assert.equal(audit.length, 2);
    assert.equal(audit[0]?.actor, 'ana@example.com');
    assert.equal(audit[0]?.target, `event:${id}`);
    assert.equal(audit[0]?.remoteAddress, '127.0.0.1');
  });

  it('dead again after a retry counts on its one open dead alert; success on a later retry resolves every open one', async () => {
    let broken = true;
    const pipeline = pipelineOf({
      name: 'x',
      run: async () => {
        if (broken) throw new PermanentError('still broken');
      },
    });
    const id = await insert(store);
    const open = async () =>
      (await store.listAlerts({ unresolvedOnly: true })).items.map((a) => [a.kind, a.eventId, a.details?.attempts ?? null]);
    await claimAndRun(store, [pipeline], clock);
    await retryEvent(store, id, 'ana@example.com', '127.0.0.1', clock.now());
    clock.advance(MINUTE);
    await claimAndRun(store, [pipeline], clock);
    assert.deepEqual(await open(), [['dead', id, 2]], 'one issue, worded as the newest death');
    assert.equal((await store.listAlerts()).items[0]?.occurrences, 2);
    await retryEvent(store, id, 'ana@example.com', '127.0.0.1', clock.now());
    assert.deepEqual((await open()).map(([kind]) => kind).sort(), ['dead', 'retried']);
    broken = false;
    clock.advance(MINUTE);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.deepEqual(await open(), [], 'its cause is gone');
    const all = (await store.listAlerts()).items;
    assert.deepEqual(all.map((a) => a.kind).sort(), ['dead', 'retried'], 'one issue per kind and event');
    assert.ok(all.every((a) => a.resolvedAt !== null));
  });
});
