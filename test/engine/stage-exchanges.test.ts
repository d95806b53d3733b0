/**
 * What a stage sent and received, per attempt: calls made through `ctx.http.fetch` (and
 * `ctx.http.record`) and `ctx.log` lines are stored with the attempt that made them, with
 * secrets redacted and bodies, calls and lines capped, before anything reaches the store.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { STAGE_RECORD_LIMITS } from '../../src/engine/stage-recorder.js';
import { HttpCallError } from '../../src/engine/errors.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, insert, memoryStore, TestClock } from '../helpers/engine-fixtures.js';

const TOKEN = 'erp-token-7f3a9c';
const API_KEY = 'ak_live_91b2c3';
const PASSWORD = 'hunter2-pw';
const REPLY_TOKEN = 'reply-secret-55d1';

/** An ERP that is down once (503), then creates the invoice with a reply far over the body cap. */
async function startErp(): Promise<{ url: string; server: Server }> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls += 1;
    req.resume();
    req.on('end', () => {
      if (calls === 1) {
        res.writeHead(503, { 'content-type': 'application/json', 'set-cookie': `session=${REPLY_TOKEN}` });
        res.end(JSON.stringify({ error: 'maintenance', token: REPLY_TOKEN }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'FV-1', note: 'x'.repeat(STAGE_RECORD_LIMITS.bodyChars * 2) }));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('stage exchanges and log lines, per attempt', () => {
  let erp: { url: string; server: Server };
  let store: SqliteStore;
  let clock: TestClock;
  before(async () => {
    erp = await startErp();
  });
  after(() => new Promise<void>((resolve) => erp.server.close(() => resolve())));
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('stores what each attempt sent and received and its own log lines, redacted and capped', async () => {
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      retry: { delaysMs: [0, 0, 0] },
      stages: [
        {
          name: 'invoice',
          run: async (ctx) => {
            ctx.log.info('creating invoice', { reference: 'R-1', apiKey: API_KEY });
            if (ctx.attempt === 2) for (let n = 0; n < STAGE_RECORD_LIMITS.logLinesPerAttempt + 50; n++) ctx.log.debug(`line ${n}`);
            const reply = await ctx.http.fetch(`${erp.url}/invoices?api_key=${API_KEY}&reference=R-1`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${TOKEN}`,
                'x-api-key': API_KEY,
                'idempotency-key': ctx.idempotencyKey,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ reference: 'R-1', amount: 100_000, user: { password: PASSWORD } }),
              signal: ctx.signal,
            });
            if (!reply.ok) throw new HttpCallError(reply.status, `ERP answered ${reply.status}`);
            // The stage reads its own response as usual: recording read a clone.
            const body = (await reply.json()) as { id: string };
            ctx.http.record({
              request: { method: 'get', url: `${erp.url}/sdk/thing`, headers: { Cookie: `c=${TOKEN}` } },
              // A value, not a text: redacted as it is (no serialize-then-parse), stored as JSON text.
              response: { status: 200, body: { ok: true, session: { token: REPLY_TOKEN } } },
            });
            return { invoice: body.id };
          },
        },
      ],
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'retrying');
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.deepEqual((await store.getCheckpoints(id))[0]?.data, { invoice: 'FV-1' });

    const exchanges = await store.getStageExchanges(id);
    assert.deepEqual(
      exchanges.map((x) => [x.stage, x.attempt, x.response?.status]),
      [
        ['invoice', 1, 503],
        ['invoice', 2, 201],
        ['invoice', 2, 200],
      ],
    );
    const [failed, created, recorded] = exchanges;
    assert.equal(failed?.request.method, 'POST');
    assert.match(failed?.request.url ?? '', /\/invoices\?api_key=%5Bredacted%5D&reference=R-1$/);
    assert.equal(failed?.request.headers.authorization, '[redacted]');
    assert.equal(failed?.request.headers['x-api-key'], '[redacted]');
    assert.equal(failed?.request.headers['idempotency-key'], `webpig:epayco:${(await store.getEvent(id))?.providerEventId}:invoice`);
    assert.deepEqual(JSON.parse(failed?.request.body ?? ''), { reference: 'R-1', amount: 100_000, user: { password: '[redacted]' } });
    assert.equal(failed?.response?.headers['set-cookie'], '[redacted]');
    assert.deepEqual(JSON.parse(failed?.response?.body ?? ''), { error: 'maintenance', token: '[redacted]' });
    assert.equal(failed?.response?.bodyTruncated, false);
    // The 201's body is twice the cap: cut, and said so.
    assert.equal(created?.response?.bodyTruncated, true);
    assert.ok((created?.response?.body?.length ?? 0) <= STAGE_RECORD_LIMITS.bodyChars + 20);
    assert.match(created?.response?.body ?? '', /^\{\n {2}"id": "FV-1"/);
    assert.equal(recorded?.request.method, 'GET');
    assert.equal(recorded?.request.headers.cookie, '[redacted]');
    assert.equal(recorded?.response?.body, JSON.stringify({ ok: true, session: { token: '[redacted]' } }, null, 2));

    const logs = (await store.getEventLogs(id)).filter((line) => line.stage === 'invoice');
    const first = logs.filter((line) => line.attempt === 1);
    assert.deepEqual(
      first.map((line) => line.message),
      ['creating invoice', 'stage failed'],
    );
    assert.deepEqual(first[0]?.fields, { reference: 'R-1', apiKey: '[redacted]' });
    const second = logs.filter((line) => line.attempt === 2);
    assert.equal(second.length, STAGE_RECORD_LIMITS.logLinesPerAttempt + 1);
    assert.match(second.at(-1)?.message ?? '', /^51 more log lines were not stored \(limit 100 per attempt\)$/);

    const everything = JSON.stringify({ exchanges, logs: await store.getEventLogs(id) });
    for (const secret of [TOKEN, API_KEY, PASSWORD, REPLY_TOKEN]) assert.ok(!everything.includes(secret), `${secret} was stored`);
  });

  it('a call that got no reply is stored with its error, and the stage sees the failure as fetch gives it', async () => {
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      retry: { delaysMs: [] },
      stages: [
        { name: 'unreachable', run: async (ctx) => void (await ctx.http.fetch('http://127.0.0.1:1/nothing', { signal: ctx.signal })) },
      ],
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead');
    const [exchange] = await store.getStageExchanges(id);
    assert.equal(exchange?.response, null);
    assert.equal(exchange?.request.url, 'http://127.0.0.1:1/nothing');
    assert.match(exchange?.error ?? '', /fetch failed/);
    assert.equal((await store.getCheckpoints(id))[0]?.error?.retriable, true, 'classified as a network error, as without recording');
  });
});
