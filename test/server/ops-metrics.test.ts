import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import type { WebpigConfig } from '../../src/config/types.js';
import { PermanentError } from '../../src/core/errors.js';
import { definePipeline } from '../../src/core/pipeline.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { startService } from '../../src/service/start.js';
import { buildServer } from '../../src/service/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { testSources } from '../helpers/ingest-server.js';
import { customBody, sendDelivery, signCustom, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/** Who may read /metrics, and that it carries the worker's and the queue's figures. */

const TOKEN = 'metrics-token-0123456789abcdef';
const EMAIL = 'ana.perez@example.com';

const DOCS = fileURLToPath(new URL('../../docs/operations.md', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

const shop = testSources('http://127.0.0.1:9').filter((s) => s.name === 'shop');

/** Invoice succeeds; notify refuses permanently, so the event goes dead and an alert is raised. */
function config(overrides: Partial<WebpigConfig> = {}): WebpigConfig {
  return {
    sources: shop,
    pipelines: [
      definePipeline({
        name: 'orders',
        match: () => true,
        stages: [
          { name: 'invoice', run: async () => ({ invoice: 'F-1' }) },
          {
            name: 'notify',
            dependsOn: ['invoice'],
            run: async () => {
              throw new PermanentError(`customer ${EMAIL} refused the message`, { code: 'CUSTOMER_REFUSED' });
            },
          },
        ],
      }),
    ],
    ...overrides,
  };
}

/** The value of one sample line, e.g. `webpig_events{status="dead"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('/metrics access', () => {
  test('without a token: loopback clients only, and not through a proxy', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const app = await buildServer({ store, config: config(), logger: false });
    try {
      const local = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
      assert.equal(local.statusCode, 200);
      assert.match(local.body, /webpig_events\{status="queued"\} 0/);
      const local6 = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '::1' });
      assert.equal(local6.statusCode, 200);

      const remote = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.7' });
      assert.equal(remote.statusCode, 403);
      assert.equal(remote.json<{ error: { code: string } }>().error.code, 'METRICS_NOT_PUBLIC');
      assert.match(remote.json<{ error: { message: string } }>().error.message, /WEBPIG_METRICS_TOKEN/);
      assert.doesNotMatch(remote.body, /webpig_/);

      // A reverse proxy on the same machine connects from 127.0.0.1 on behalf of anyone.
      const proxied = await app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      assert.equal(proxied.statusCode, 403);
    } finally {
      await app.close();
      await store.close();
    }
  });

  test('with server.metricsToken: the bearer token from anywhere, nothing without it', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const app = await buildServer({ store, config: config({ server: { metricsToken: TOKEN } }), logger: false });
    try {
      const ask = (remoteAddress: string, authorization?: string) =>
        app.inject({ method: 'GET', url: '/metrics', remoteAddress, headers: authorization ? { authorization } : {} });
      for (const [address, auth] of [
        ['127.0.0.1', undefined],
        ['203.0.113.7', undefined],
        ['203.0.113.7', `Bearer ${TOKEN}x`],
        ['203.0.113.7', `Bearer ${TOKEN.slice(0, -1)}`],
        ['203.0.113.7', TOKEN],
      ] as const) {
        const reply = await ask(address, auth);
        assert.equal(reply.statusCode, 401, `${address} ${auth}`);
        assert.equal(reply.json<{ error: { code: string } }>().error.code, 'METRICS_TOKEN_REQUIRED');
      }
      assert.equal((await ask('203.0.113.7', `Bearer ${TOKEN}`)).statusCode, 200);
      assert.equal((await ask('127.0.0.1', `bearer ${TOKEN}`)).statusCode, 200);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('/metrics figures', () => {
  const temp = tempDatabaseDir();
  after(() => temp.remove());

  test('webpig start: one /metrics with the worker stage figures, dead events, alerts and queue gauges; no payload values', async () => {
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        response.writeHead(received.length === 1 ? 200 : 500).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const alertsUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;

    const store = SqliteStore.open(`sqlite:${join(temp.dir, 'start.db')}`);
    await store.migrate();
    // env: {} — the caller's WEBPIG_METRICS_TOKEN must not decide this test.
    const service = await startService({
      store,
      config: resolveConfig(config({ alerts: { webhookUrl: alertsUrl } }), 'test'),
      http: true,
      worker: true,
      port: 0,
      logLevel: 'silent',
      env: {},
    });
    try {
      const baseUrl = service.url!;
      const body = { ...customBody({ entity: 'order-7' }), customer: { email: EMAIL } };
      const reply = await sendDelivery(
        baseUrl,
        'shop',
        signCustom({ secret: TEST_SECRETS.custom, body, timestampHeader: 'x-webpig-timestamp' }),
      );
      assert.equal(reply.status, 200, JSON.stringify(reply.body));

      const scrape = async () => (await fetch(`${baseUrl}/metrics`)).text();
      const text = await until('the dead event and its forwarded alert in /metrics', async () => {
        const t = await scrape();
        return sample(t, 'webpig_alerts_forwarded_total{outcome="forwarded"}') === 1 ? t : undefined;
      });
      assert.equal(sample(text, 'webpig_events{status="dead"}'), 1);
      assert.equal(sample(text, 'webpig_events{status="queued"}'), 0);
      assert.equal(sample(text, 'webpig_events{status="succeeded"}'), 0, 'history statuses are there too');
      assert.equal(sample(text, 'webpig_oldest_queued_event_age_seconds'), 0);
      assert.equal(sample(text, 'webpig_stage_duration_seconds_count{pipeline="orders",stage="invoice",outcome="success"}'), 1);
      assert.equal(sample(text, 'webpig_stage_duration_seconds_count{pipeline="orders",stage="notify",outcome="error"}'), 1);
      assert.equal(sample(text, 'webpig_stage_failures_total{pipeline="orders",stage="notify",code="CUSTOMER_REFUSED"}'), 1);
      assert.equal(sample(text, 'webpig_events_dead_total{pipeline="orders"}'), 1);
      assert.equal(sample(text, 'webpig_webhook_deliveries_total{source="shop",outcome="accepted"}'), 1, 'ingestion figures too');
      assert.ok((sample(text, 'webpig_process_resident_memory_bytes') ?? 0) > 0, 'process figures too');
      assert.ok(!text.includes(EMAIL) && !text.includes('order-7') && !text.includes(TEST_SECRETS.custom), 'no payload value or secret');
      // Every metric docs/operations.md lists is served (the docs cannot drift from the code).
      const documented = [...readFileSync(DOCS, 'utf8').matchAll(/^\| `(webpig_[a-z_]+)` \|/gm)].map((m) => m[1]);
      assert.ok(documented.length >= 10, `docs list ${documented.length} metrics`);
      for (const name of documented) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is documented but not served`);

      // Queue gauges come from the database at scrape time, whoever inserted the events.
      await service.worker?.stop();
      const receivedAt = new Date(Date.now() - 90_000);
      for (const id of ['q1', 'q2']) {
        await store.insertEvent({
          source: 'elsewhere',
          providerEventId: id,
          entityKey: null,
          type: 't',
          transactionStatus: null,
          occurredAt: receivedAt,
          receivedAt,
          rawBody: Buffer.from('{}'),
          contentType: 'application/json',
          payload: {},
          summary: {},
        });
      }
      // Scrapes within a second share one query: wait for a fresh one.
      const queued = await until('two queued events in /metrics', async () => {
        const t = await scrape();
        return sample(t, 'webpig_events{status="queued"}') === 2 ? t : undefined;
      });
      const age = sample(queued, 'webpig_oldest_queued_event_age_seconds') ?? 0;
      assert.ok(age >= 89 && age < 200, `oldest queued age ${age} s`);
    } finally {
      await service.stop();
      receiver.close();
    }
  });

  test('webpig worker --metrics-port: a separate worker serves its own figures, under the same access rule', async () => {
    const store = SqliteStore.open(`sqlite:${join(temp.dir, 'worker.db')}`);
    await store.migrate();
    const body = customBody({ entity: 'order-9' });
    const now = new Date();
    await store.insertEvent({
      source: 'shop',
      providerEventId: String(body.id),
      entityKey: 'order-9',
      type: 'order.paid',
      transactionStatus: 'accepted',
      occurredAt: now,
      receivedAt: now,
      rawBody: Buffer.from(JSON.stringify(body)),
      contentType: 'application/json',
      payload: {},
      summary: {},
    });
    const service = await startService({
      store,
      config: resolveConfig(config({ server: { metricsToken: TOKEN } }), 'test'),
      http: false,
      worker: true,
      metricsPort: 0,
      logLevel: 'silent',
      env: {},
    });
    try {
      assert.ok(service.metricsUrl, 'the worker says where its metrics are');
      assert.equal((await fetch(service.metricsUrl)).status, 401, 'the token is asked for here too');
      const text = await until('the worker figures', async () => {
        const t = await (await fetch(service.metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
        return sample(t, 'webpig_events_dead_total{pipeline="orders"}') === 1 ? t : undefined;
      });
      assert.equal(sample(text, 'webpig_stage_failures_total{pipeline="orders",stage="notify",code="CUSTOMER_REFUSED"}'), 1);
      assert.equal((await fetch(service.metricsUrl.replace('/metrics', '/nope'))).status, 404);
    } finally {
      await service.stop();
    }
  });

  test('the CLI: webpig worker --metrics-port prints where, serves loopback without a token; a bad port is a usage error', async () => {
    const dir = temp.dir;
    writeFileSync(
      join(dir, 'webpig.config.mjs'),
      `export default { sources: [], pipelines: [{ name: 'p', match: () => true, stages: [{ name: 's', async run() {} }] }] };`,
    );
    // Only what this test sets: never the caller's WEBPIG_* variables (a token there would change the answer).
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, WEBPIG_LOG_LEVEL: 'warn' };
    const args = ['--import', TSX, MAIN, '--config', join(dir, 'webpig.config.mjs'), '--db', `sqlite:${join(dir, 'cli.db')}`, 'worker'];

    const bad = spawn(process.execPath, [...args, '--metrics-port', 'nine'], { cwd: dir, env });
    let badErr = '';
    bad.stderr.on('data', (chunk: Buffer) => (badErr += chunk.toString()));
    const [badCode] = (await once(bad, 'exit')) as [number | null];
    assert.equal(badCode, 2, badErr);
    assert.match(badErr, /--metrics-port must be a number from 0 to 65535, got "nine"/);

    // A port already in use: the command says which and stops (before claiming anything).
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const takenPort = (taken.address() as AddressInfo).port;
    const busy = spawn(process.execPath, [...args, '--metrics-port', String(takenPort)], { cwd: dir, env });
    let busyErr = '';
    busy.stderr.on('data', (chunk: Buffer) => (busyErr += chunk.toString()));
    const [busyCode] = (await once(busy, 'exit')) as [number | null];
    taken.close();
    assert.equal(busyCode, 1, busyErr);
    assert.match(busyErr, new RegExp(`cannot serve the worker's /metrics on 127\\.0\\.0\\.1:${takenPort} \\(EADDRINUSE\\)`));

    const child = spawn(process.execPath, [...args, '--metrics-port', '0'], { cwd: dir, env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const url = await until('the metrics line', async () => /webpig worker metrics at (http:\S+)/.exec(out)?.[1], 60_000);
      const reply = await fetch(url);
      assert.equal(reply.status, 200);
      assert.match(await reply.text(), /^# TYPE webpig_stage_duration_seconds histogram/m);
    } finally {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, out);
    }
  });
});
