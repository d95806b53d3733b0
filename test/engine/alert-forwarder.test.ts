import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { createAlertForwarder } from '../../src/engine/alert-forwarder.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP receiver whose reply to the n-th request (0-based) is decided by `reply`. */
async function startReceiver(
  reply: (n: number, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      reply(received.length - 1, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/T0KEN-in-the-path`, received, server };
}

function captureLogs(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('alert forwarding', () => {
  let store: SqliteStore;
  let servers: Server[] = [];

  beforeEach(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    servers = [];
  });

  it('POSTs each stored alert as signed JSON, retries a refused one, and sends none twice after a 2xx', async () => {
    const receiver = await startReceiver((n, res) => {
      res.statusCode = n === 0 ? 503 : 204;
      res.end();
    });
    servers.push(receiver.server);
    const dead = await store.recordAlert({
      at: new Date(),
      kind: 'dead',
      eventId: 373,
      stage: 'crm_upsert',
      message: 'event 373 is dead',
      details: { attempts: 5 },
    });
    const oversold = await store.recordAlert({ at: new Date(), kind: 'oversold', message: 'SKU-9 oversold' });
    const secret = 'alert-secret-0123456789';
    const { logger, lines } = captureLogs();
    let clock = Date.now();
    const forwarder = createAlertForwarder({ store, url: receiver.url, secret, retryDelaysMs: [0], logger, now: () => new Date(clock) });

    assert.equal(await forwarder.forwardDue(), 1, 'first round: the 503 is a failure, the second alert goes through');
    assert.equal(await forwarder.forwardDue(), 1, 'second round: the refused alert is sent again');
    assert.equal(await forwarder.forwardDue(), 0, 'nothing left');
    clock += 60 * 60_000; // long after every claim has expired
    assert.equal(await forwarder.forwardDue(), 0, 'a delivered alert is never sent again');
    assert.equal(receiver.received.length, 3);

    const bodies = receiver.received.map(
      (r) =>
        JSON.parse(r.body) as {
          text: string;
          alert: { id: number; kind: string; eventId: number | null; stage: string | null; details: unknown };
        },
    );
    assert.deepEqual(
      bodies.map((b) => b.alert.id),
      [dead.id, oversold.id, dead.id],
    );
    assert.deepEqual(bodies[0]?.alert, { ...bodies[0]?.alert, kind: 'dead', eventId: 373, stage: 'crm_upsert', details: { attempts: 5 } });
    assert.equal(bodies[1]?.text, '[webpig] oversold: SKU-9 oversold');
    for (const r of receiver.received) {
      assert.equal(r.headers['content-type'], 'application/json');
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['webpig-signature']));
      assert.ok(match, `signature header: ${String(r.headers['webpig-signature'])}`);
      const expected = createHmac('sha256', secret).update(`${match[1]}.${r.body}`).digest('hex');
      assert.equal(match[2], expected, 'the signature verifies over t.body with the shared secret');
    }
    const logged = lines.join('');
    assert.match(logged, /alert not forwarded/);
    assert.match(logged, /HTTP 503/);
    assert.ok(!logged.includes('T0KEN'), 'the webhook URL path (often a token) never reaches the logs');
    assert.equal((await store.listAlerts()).items.length, 2, 'forwarding changes no alert record');
  });

  it('a receiver that does not answer in time or cannot be reached is tried again later, without crashing', async () => {
    const silent = await startReceiver(() => undefined); // never replies
    servers.push(silent.server);
    await store.recordAlert({ at: new Date(), kind: 'custom', message: 'hello' });
    let clock = Date.now();
    const now = () => new Date(clock);
    const { logger, lines } = captureLogs();
    const slow = createAlertForwarder({ store, url: silent.url, timeoutMs: 200, retryDelaysMs: [60_000], logger, now });
    assert.equal(await slow.forwardDue(), 0);
    assert.match(lines.join(''), /no reply within 200 ms/);
    assert.equal(await slow.forwardDue(), 0);
    assert.equal(silent.received.length, 1, 'not claimed again before its retry time');

    clock += 61_000;
    const closed = await startReceiver(() => undefined);
    const closedPort = new URL(closed.url);
    await new Promise((resolve) => closed.server.close(resolve)); // its port now refuses connections
    const unreachable = createAlertForwarder({ store, url: closedPort.href, retryDelaysMs: [60_000], logger, now });
    assert.equal(await unreachable.forwardDue(), 0);
    assert.match(lines.join(''), /request failed: ECONNREFUSED/);

    clock += 61_000;
    const ok = await startReceiver((_n, res) => res.end('ok'));
    servers.push(ok.server);
    const working = createAlertForwarder({ store, url: ok.url, logger, now });
    assert.equal(await working.forwardDue(), 1, 'delivered on the third try');
    assert.equal(ok.received.length, 1);
  });

  it('runs in the background once started and stops cleanly', async () => {
    const receiver = await startReceiver((_n, res) => res.end());
    servers.push(receiver.server);
    const forwarder = createAlertForwarder({ store, url: receiver.url, pollMs: 20 });
    forwarder.start();
    await store.recordAlert({ at: new Date(), kind: 'dead', eventId: 1, message: 'event 1 is dead' });
    for (let i = 0; i < 200 && receiver.received.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await forwarder.stop();
    assert.equal(receiver.received.length, 1);
    await store.recordAlert({ at: new Date(), kind: 'dead', eventId: 2, message: 'event 2 is dead' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(receiver.received.length, 1, 'a stopped forwarder sends nothing more');
  });
});
