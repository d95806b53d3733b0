/**
 * Issue 17 item 5: clients that open a connection, send headers and half a body, then stop.
 * The server closes them after the request timeout (small here, set through the config), and
 * meanwhile valid signed deliveries are still answered 200 quickly. One address may hold only
 * `maxConnectionsPerAddress` connections, except the exempt ones (loopback by default).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { WebpigConfig } from '../../src/config/types.js';
import { buildServer } from '../../src/service/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { testSources } from '../helpers/ingest-server.js';
import { customBody, signCustom, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const REQUEST_TIMEOUT_MS = 1500;

interface Running {
  app: FastifyInstance;
  store: Store;
  port: number;
  close(): Promise<void>;
}

async function start(server: WebpigConfig['server']): Promise<Running> {
  const { dir, remove } = tempDatabaseDir('webpig-slow-');
  const store = SqliteStore.open(`sqlite:${join(dir, 'slow.db')}`);
  await store.migrate();
  const app = await buildServer({ store, config: { sources: testSources('http://127.0.0.1:9'), pipelines: [], server }, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    app,
    store,
    port: address.port,
    async close() {
      app.server.closeAllConnections();
      await app.close();
      await store.close();
      remove();
    },
  };
}

interface Stalled {
  socket: Socket;
  closedAt: Promise<number>;
}

/** Opens a connection, sends the headers of a 2,000-byte upload and 1,000 bytes of it, then nothing. */
function stalledUpload(port: number): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const closedAt = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.on('error', () => undefined);
    // Read (and drop) what the server sends, else its closing the connection is never seen.
    socket.resume();
    socket.once('connect', () => {
      socket.write(
        'POST /webhooks/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n' +
          '{"padding":"' +
          'x'.repeat(988),
      );
      resolve({ socket, closedAt });
    });
    socket.once('error', reject);
  });
}

async function openStalled(port: number, count: number): Promise<Stalled[]> {
  const all: Stalled[] = [];
  // In batches, so the listen backlog never overflows (that would be the test's doing, not the server's).
  for (let i = 0; i < count; i += 100) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => stalledUpload(port)))));
  }
  return all;
}

async function deliver(port: number, id: string): Promise<{ status: number; ms: number }> {
  const signed = signCustom({ secret: TEST_SECRETS.custom, body: customBody({ id }), timestampHeader: 'x-webpig-timestamp' });
  const started = Date.now();
  const response = await fetch(`http://127.0.0.1:${port}/webhooks/shop`, { method: 'POST', headers: signed.headers, body: signed.body });
  await response.arrayBuffer();
  return { status: response.status, ms: Date.now() - started };
}

describe('slow clients: 1,000 stalled uploads', () => {
  let server: Running;
  before(async () => {
    server = await start({ requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: 1000 });
  });
  after(() => server.close());

  test(
    'valid deliveries still get 200 quickly, and the stalled ones are closed after the request timeout',
    { timeout: 60_000 },
    async () => {
      const openedAt = Date.now();
      const stalled = await openStalled(server.port, 1000);
      // More than the default per-address limit (256), from loopback: exempt by default.
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const result = await deliver(server.port, `valid-${i}`);
        assert.equal(result.status, 200, `valid delivery ${i} while 1,000 uploads stall`);
        latencies.push(result.ms);
      }
      const slowest = Math.max(...latencies);
      // Far below the 1.5 s the stalled uploads wait for; loose enough for a loaded CI machine.
      assert.ok(slowest < 3000, `valid deliveries answered quickly (slowest ${slowest} ms)`);
      const deadline = sleep(REQUEST_TIMEOUT_MS + 5000).then(() => 'deadline' as const);
      const closed = await Promise.race([Promise.all(stalled.map((s) => s.closedAt)), deadline]);
      assert.notEqual(
        closed,
        'deadline',
        `every stalled upload is closed by the server (still open: ${stalled.filter((s) => !s.socket.destroyed).length})`,
      );
      const firstClose = Math.min(...(closed as number[])) - openedAt;
      assert.ok(firstClose >= REQUEST_TIMEOUT_MS - 200, `not closed before the timeout (first after ${firstClose} ms)`);
      const stored = await server.store.listEvents({}, { limit: 500 });
      assert.equal(stored.items.length, 20, 'only the valid deliveries were stored');
      console.log(
        `stalled uploads closed after ${firstClose}–${Math.max(...(closed as number[])) - openedAt} ms; valid deliveries slowest ${slowest} ms`,
      );
    },
  );
});

describe('slow clients: connections per address', () => {
  let server: Running;
  before(async () => {
    // Loopback not exempt here, so the test's own address is the one limited.
    server = await start({
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      headersTimeoutMs: 1000,
      maxConnectionsPerAddress: 10,
      connectionLimitExempt: [],
    });
  });
  after(() => server.close());

  test('an address over its limit is refused at once; served again once its connections are gone', { timeout: 30_000 }, async () => {
    const stalled = await openStalled(server.port, 10);
    const extra = await stalledUpload(server.port);
    const refusedIn = (await extra.closedAt) - Date.now();
    assert.ok(refusedIn < 500, 'the 11th connection is closed at once');
    await assert.rejects(deliver(server.port, 'over-limit'), 'a delivery from the same address is refused too');
    await Promise.all(stalled.map((s) => s.closedAt));
    assert.equal((await deliver(server.port, 'after')).status, 200, 'served again once the stalled uploads timed out');
  });
});

describe('slow clients: the server.* limits in webpig.config.ts', () => {
  test('every documented field is accepted, and a headers timeout above the request timeout is refused by name', async () => {
    const { resolveConfig } = await import('../../src/config/resolve.js');
    const server = {
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 120_000,
      keepAliveTimeoutMs: 72_000,
      maxConnectionsPerAddress: 0,
      connectionLimitExempt: ['10.0.0.5', '::1'],
    };
    assert.deepEqual(resolveConfig({ sources: [], pipelines: [], server }, 'test').server, server);
    assert.throws(
      () => resolveConfig({ sources: [], pipelines: [], server: { requestTimeoutMs: 1000, headersTimeoutMs: 2000 } }, 'test'),
      /server\.headersTimeoutMs: must not be larger than requestTimeoutMs/,
    );
    assert.throws(
      () => resolveConfig({ sources: [], pipelines: [], server: { connectionLimitExempt: ['proxy.local'] } }, 'test'),
      /server\.connectionLimitExempt\.0: expected an IP address/,
    );
  });
});
