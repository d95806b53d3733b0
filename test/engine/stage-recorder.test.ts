/**
 * What the stage recorder keeps of one `ctx.http.record()` call, on its own: header names
 * lower-cased, secret ones redacted and long values capped; a body text read by the call's
 * first content type (any case); a body over the cap cut and marked; `record` usable apart
 * from `ctx.http`. The stored form the dashboard reads must not move when the recorder's
 * internals do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStageRecorder, STAGE_RECORD_LIMITS } from '../../src/engine/stage-recorder.js';

const AT = new Date('2026-12-06T20:00:00Z');
const recorder = () => createStageRecorder({ stage: 'create-invoice', attempt: 2, now: () => AT });

describe('stage recorder', () => {
  it('keeps headers lower-cased, redacted and capped, and reads a text body by its content type in any case', () => {
    const rec = recorder();
    const { record } = rec.http; // taken apart from ctx.http, as a stage may
    const long = 'x'.repeat(STAGE_RECORD_LIMITS.headerChars + 5);
    record({
      request: {
        method: 'post',
        url: 'https://api.example.com/v1/pay?reference=R-1&api_key=k123',
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: 'Bearer t0k',
          'X-Long': long,
        },
        body: 'reference=R-1&token=s3cr3t',
      },
      response: {
        status: 200,
        headers: { 'Set-Cookie': 'session=abc', 'content-type': 'application/json' },
        body: { id: 7, password: 'p' },
      },
      durationMs: 12,
    });
    const [exchange] = rec.exchanges();
    assert.deepEqual(exchange, {
      at: AT,
      request: {
        method: 'POST',
        url: 'https://api.example.com/v1/pay?reference=R-1&api_key=%5Bredacted%5D',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          authorization: '[redacted]',
          'x-long': 'x'.repeat(STAGE_RECORD_LIMITS.headerChars) + '… [truncated]',
        },
        body: 'reference=R-1&token=%5Bredacted%5D',
        bodyTruncated: false,
      },
      response: {
        status: 200,
        headers: { 'set-cookie': '[redacted]', 'content-type': 'application/json' },
        body: JSON.stringify({ id: 7, password: '[redacted]' }, null, 2),
        bodyTruncated: false,
      },
      error: null,
      durationMs: 12,
    });
  });

  it('cuts a body over the cap and says so; a call with no reply keeps its error and no response', () => {
    const rec = recorder();
    const body = 'a'.repeat(STAGE_RECORD_LIMITS.bodyChars + 1);
    rec.http.record({ request: { method: 'PUT', url: 'http://127.0.0.1:1/x', body }, error: 'connect ECONNREFUSED' });
    const [exchange] = rec.exchanges();
    assert.equal(exchange?.request.body, 'a'.repeat(STAGE_RECORD_LIMITS.bodyChars) + '… [truncated]');
    assert.equal(exchange?.request.bodyTruncated, true);
    assert.deepEqual(exchange?.request.headers, {});
    assert.equal(exchange?.response, null);
    assert.equal(exchange?.error, 'connect ECONNREFUSED');
    assert.equal(exchange?.durationMs, null);
  });

  it('keeps at most the cap of calls an attempt and counts the rest in a log line', () => {
    const rec = recorder();
    for (let i = 0; i < STAGE_RECORD_LIMITS.exchangesPerAttempt + 3; i++)
      rec.http.record({ request: { method: 'GET', url: `http://h/${i}` } });
    assert.equal(rec.exchanges().length, STAGE_RECORD_LIMITS.exchangesPerAttempt);
    assert.deepEqual(
      rec.logs().map((line) => [line.stage, line.attempt, line.message]),
      [['create-invoice', 2, `3 more HTTP calls were not stored (limit ${STAGE_RECORD_LIMITS.exchangesPerAttempt} per attempt)`]],
    );
  });
});
