import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { WebpigConfig } from '../../src/config/types.js';
import { buildServer } from '../../src/service/app.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { ensureDashboardBuilt } from '../helpers/browser.js';
import { postgresSkip, postgresUrl, withTestSchema } from '../helpers/postgres.js';
import { readOnlyView } from '../helpers/read-only-mount.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/** /healthz, /readyz (with the database really unable to answer), and what is a 404. */

const CONFIG: WebpigConfig = { sources: [], pipelines: [] };

async function server(store: Store, config: WebpigConfig = CONFIG): Promise<FastifyInstance> {
  const app = await buildServer({ store, config, logger: false });
  await app.ready();
  return app;
}

interface Readiness {
  status: string;
  database: { status: string; ms: number; code?: string; message?: string };
}

describe('/healthz and /readyz on SQLite', () => {
  const temp = tempDatabaseDir();
  const file = join(temp.dir, 'webpig.db');
  let store: SqliteStore;
  let app: FastifyInstance;
  before(async () => {
    store = SqliteStore.open(`sqlite:${file}`);
    await store.migrate();
    app = await server(store);
  });
  after(async () => {
    await app.close();
    await store.close();
    temp.remove();
  });

  test('/healthz answers 200 {status: "ok"} without signing in', async () => {
    const reply = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(reply.statusCode, 200);
    assert.deepEqual(reply.json(), { status: 'ok' });
  });

  test('/readyz is 200 while the database answers, 503 while another connection holds its lock, 200 again after', async () => {
    const ok = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json<Readiness>().status, 'ok');

    // Another connection (as another process would) takes the database's write lock and keeps it.
    const holder = new Database(file);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const waiting = app.inject({ method: 'GET', url: '/readyz' });
      // The probe waits without blocking the event loop: the process still answers meanwhile.
      const alive = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(alive.statusCode, 200);
      assert.ok(Date.now() - started < 500, `/healthz answered after ${Date.now() - started} ms while /readyz waited`);
      const down = await waiting;
      const elapsed = Date.now() - started;
      assert.equal(down.statusCode, 503, down.body);
      const body = down.json<Readiness>();
      assert.equal(body.status, 'unavailable');
      assert.equal(body.database.code, 'DATABASE_UNAVAILABLE');
      assert.match(body.database.message ?? '', /within 1000 ms/);
      assert.ok(elapsed >= 900 && elapsed < 2500, `503 after ${elapsed} ms (expected about 1 s)`);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const back = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(back.statusCode, 200, back.body);
  });
});

describe('/readyz on a SQLite file webpig may not write', () => {
  const temp = tempDatabaseDir();
  const writable = SqliteStore.open(`sqlite:${join(temp.dir, 'webpig.db')}`);
  const view = readOnlyView(temp.dir);
  after(async () => {
    await writable.close();
    if (!('skip' in view)) view.remove();
    temp.remove();
  });

  // SQLite grants BEGIN IMMEDIATE on a file it opened read-only; only a write fails.
  test('503 DATABASE_READ_ONLY naming the file, not 200', { skip: 'skip' in view && view.skip }, async () => {
    if ('skip' in view) return;
    await writable.migrate();
    const readOnly = SqliteStore.open(`sqlite:${join(view.dir, 'webpig.db')}`);
    const app = await server(readOnly);
    try {
      const reply = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(reply.statusCode, 503, reply.body);
      const body = reply.json<Readiness>();
      assert.equal(body.database.code, 'DATABASE_READ_ONLY');
      assert.match(body.database.message ?? '', /^the database file .*webpig\.db is read-only: /);
    } finally {
      await app.close();
      await readOnly.close();
    }
  });
});

describe('/readyz on PostgreSQL', async () => {
  const skip = await postgresSkip();
  const schemas = withTestSchema();

  test('503 while the events table cannot be read within a second; no probe left waiting; 200 again after', { skip }, async () => {
    const { schema, url } = await schemas.create();
    const store = await PostgresStore.open(url);
    await store.migrate();
    const app = await server(store);
    const locker = new pg.Client({ connectionString: postgresUrl() });
    locker.on('error', () => undefined);
    await locker.connect();
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);

      // A migration or an operator's LOCK TABLE: every read of events waits behind it.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      const elapsed = Date.now() - started;
      assert.equal(down.statusCode, 503, down.body);
      assert.equal(down.json<Readiness>().database.code, 'DATABASE_UNAVAILABLE');
      assert.ok(elapsed >= 900 && elapsed < 2500, `503 after ${elapsed} ms (expected about 1 s)`);

      // The server ended the probe too (statement_timeout): nothing of webpig waits on the lock.
      let waiting = -1;
      for (let i = 0; i < 20 && waiting !== 0; i++) {
        const rows = await locker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT 1 FROM events%'`,
        );
        waiting = rows.rows[0]?.n ?? -1;
        if (waiting !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(waiting, 0, 'a readiness probe is still waiting for the lock');

      await locker.query('ROLLBACK');
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await app.close();
      await store.close();
    }
  });
});

/** A TCP relay to PostgreSQL that can be cut (server gone, connections reset) and restored on the same port. */
async function cuttableRelay(): Promise<{ port: number; cut: () => Promise<void>; restore: () => Promise<void> }> {
  const target = new URL(postgresUrl());
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server!.address() as { port: number }).port;
  };
  await listen();
  return {
    port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    restore: listen,
  };
}

describe('/readyz with the PostgreSQL server gone', async () => {
  const skip = await postgresSkip();
  const schemas = withTestSchema();

  test('503 while connections are refused, 200 again once the server is back (the pool reconnects)', { skip }, async () => {
    const { schema } = await schemas.create();
    const relay = await cuttableRelay();
    const url = new URL(postgresUrl());
    url.host = `127.0.0.1:${relay.port}`;
    url.searchParams.set('schema', schema);
    const store = await PostgresStore.open(url.toString());
    await store.migrate();
    const app = await server(store);
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      await relay.cut();
      const started = Date.now();
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(down.statusCode, 503, down.body);
      assert.equal(down.json<Readiness>().database.code, 'DATABASE_UNAVAILABLE');
      assert.ok(Date.now() - started < 1500, 'refused connections are reported at once, within the second');
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process itself is alive');
      await relay.restore();
      const back = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(back.statusCode, 200, back.body);
    } finally {
      await app.close();
      await store.close();
      await relay.cut().catch(() => undefined);
    }
  });
});

describe('paths that are neither pages nor API answer 404', () => {
  let store: SqliteStore;
  let app: FastifyInstance;
  before(async () => {
    await ensureDashboardBuilt();
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    app = await server(store);
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  test('the page routes (/, /events/:id) get the dashboard', async () => {
    for (const url of ['/', '/events/42', '/events/42?tab=stages']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.equal(reply.statusCode, 200, url);
      assert.match(reply.body, /<div id="app">/, url);
    }
  });

  test('anything else is a JSON 404, not the page', async () => {
    for (const url of [
      '/wp-login.php',
      '/events',
      '/events/42/extra',
      '/.env',
      '/admin',
      '/api/nope',
      '/webhooks',
      '/auth/nope',
      '/metricsx',
    ]) {
      const reply = await app.inject({ method: 'GET', url });
      assert.equal(reply.statusCode, 404, url);
      assert.match(String(reply.headers['content-type']), /application\/json/, url);
      assert.equal(reply.json<{ error: { code: string } }>().error.code, 'NOT_FOUND', url);
    }
  });

  test('the built page assets and the API are unchanged', async () => {
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script);
    assert.equal(await app.inject({ method: 'GET', url: script }).then((r) => r.statusCode), 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/events' })).statusCode, 401, 'the API answers (and asks to sign in)');
  });
});
