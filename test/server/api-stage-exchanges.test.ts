/**
 * GET /api/events/:id over a real socket returns what each stage attempt sent and received
 * (secrets redacted) and its log lines with their attempt; GET /api/config gives each stage's
 * dependencies and how many attempts its policy allows (the panel's "intentos n/máx").
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { HttpCallError } from '../../src/engine/errors.js';
import { claimAndRun, insert, TestClock } from '../helpers/engine-fixtures.js';
import { startApi, type Harness } from './api-harness.js';

const WO_TOKEN = 'wo-token-31337';

interface Exchange {
  stage: string;
  attempt: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; body: string | null; bodyTruncated: boolean } | null;
}
interface Details {
  logs: Array<{ stage: string | null; attempt: number | null; message: string }>;
  exchanges: Exchange[];
}

describe('GET /api/events/:id: what each stage attempt sent and received', () => {
  let h: Harness & { baseUrl: string };
  let upstream: Server;
  let eventId: number;
  before(async () => {
    h = await startApi({ listen: true });
    let calls = 0;
    upstream = createServer((req, res) => {
      calls += 1;
      req.resume();
      res.writeHead(calls === 1 ? 500 : 201, { 'content-type': 'application/json' });
      res.end(calls === 1 ? '{"error":"WorldOffice is down"}' : '{"id":77,"number":"FV-77"}');
    });
    upstream.listen(0, '127.0.0.1');
    await new Promise((resolve) => upstream.once('listening', resolve));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const pipeline = definePipeline({
      name: 'facturador',
      match: () => true,
      retry: { delaysMs: [0, 0, 0] },
      stages: [
        {
          name: 'worldoffice_invoice_creation',
          run: async (ctx) => {
            ctx.log.info('creating the invoice in WorldOffice', { reference: 'INV-9' });
            const reply = await ctx.http.fetch(`${base}/invoices`, {
              method: 'POST',
              headers: { authorization: `Bearer ${WO_TOKEN}`, 'content-type': 'application/json' },
              body: JSON.stringify({ reference: 'INV-9', amount: 100_000 }),
              signal: ctx.signal,
            });
            if (!reply.ok) throw new HttpCallError(reply.status, `WorldOffice answered ${reply.status}`);
            return (await reply.json()) as { id: number };
          },
        },
      ],
    });
    eventId = await insert(h.store);
    const clock = new TestClock();
    assert.equal((await claimAndRun(h.store, [pipeline], clock))?.status, 'retrying');
    assert.equal((await claimAndRun(h.store, [pipeline], clock))?.status, 'succeeded');
  });
  after(async () => {
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    await h.close();
  });

  test('returns the failed and the succeeded attempt’s request and response, the token redacted, with their log lines', async () => {
    const caller = await h.token(['events:read']);
    const response = await fetch(`${h.baseUrl}/api/events/${eventId}`, { headers: caller.headers });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(!text.includes(WO_TOKEN), 'the token never leaves the server');
    const details = JSON.parse(text) as Details;
    assert.deepEqual(
      details.exchanges.map((x) => [x.stage, x.attempt, x.request.method, x.response?.status]),
      [
        ['worldoffice_invoice_creation', 1, 'POST', 500],
        ['worldoffice_invoice_creation', 2, 'POST', 201],
      ],
    );
    const [failed, succeeded] = details.exchanges;
    assert.equal(failed?.request.headers.authorization, '[redacted]');
    assert.deepEqual(JSON.parse(failed?.request.body ?? ''), { reference: 'INV-9', amount: 100_000 });
    assert.deepEqual(JSON.parse(failed?.response?.body ?? ''), { error: 'WorldOffice is down' });
    assert.deepEqual(JSON.parse(succeeded?.response?.body ?? ''), { id: 77, number: 'FV-77' });
    assert.deepEqual(
      details.logs.filter((line) => line.stage === 'worldoffice_invoice_creation').map((line) => [line.attempt, line.message]),
      [
        [1, 'creating the invoice in WorldOffice'],
        [1, 'stage failed'],
        [2, 'creating the invoice in WorldOffice'],
      ],
    );
  });

  test('GET /api/config gives each stage its dependencies and the attempts its retry policy allows', async () => {
    const caller = await h.token(['events:read']);
    const response = await fetch(`${h.baseUrl}/api/config`, { headers: caller.headers });
    const config = (await response.json()) as {
      pipelines: Array<{ stages: Array<{ name: string; dependsOn: string[]; maxAttempts: number }> }>;
    };
    const stages = config.pipelines[0]?.stages ?? [];
    assert.deepEqual(
      stages.find((s) => s.name === 'crm_upsert'),
      { name: 'crm_upsert', label: null, column: 'CRM', dependsOn: [], maxAttempts: 3, flag: null },
    );
    assert.equal(stages.find((s) => s.name === 'worldoffice_invoice_creation')?.maxAttempts, 4, 'the default policy: four attempts');
  });
});
