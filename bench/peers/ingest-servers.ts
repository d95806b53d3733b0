/**
 * The servers of bench/peers.ts's ingestion half, each run in its own child process
 * (`node --import tsx bench/peers.ts serve <kind> <postgres-url>`): it prints one JSON line
 * `{port}` when it listens.
 *
 * - `bare`: node:http that reads the body and answers 200 (no check, no storage).
 * - `pgboss` / `graphile`: the same node:http handler runs the same HMAC check and JSON parse
 *   as webpig (the custom source's own adapter), then pg-boss `send` (singletonKey = the
 *   delivery's id) or graphile-worker `addJob` (jobKey = the delivery's id), and answers 200
 *   after the queue's insert returned (each its own autocommitted, durable transaction).
 * - `webpig-postgres` / `webpig-sqlite`: webpig's real endpoint (Fastify + ingest plugin).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { makeWorkerUtils } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { ingestPlugin } from '../../src/server/ingest/plugin.js';
import { createSourceAdapter } from '../../src/sources/adapters.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { serverStats } from '../server-stats.js';
import { POOL_SIZE } from './pipelines.js';
import { BENCH_SOURCE } from '../signed-load.js';

export const SERVER_KINDS = ['bare', 'webpig-sqlite', 'webpig-postgres', 'pgboss', 'graphile'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

type Enqueue = (id: string, payload: object) => Promise<unknown>;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): void {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
}

/** node:http + webpig's own HMAC check and parse, then `enqueue`; 200 after it resolved. */
function serveQueue(enqueue: Enqueue): void {
  const adapter = createSourceAdapter(parseSourceConfigs([BENCH_SOURCE])[0]!);
  listen((request, response) => {
    readBody(request)
      .then(async (rawBody) => {
        const delivery = await adapter.verify(
          { method: 'POST', headers: request.headers, rawQuery: '', rawBody, remoteAddress: null },
          new Date(),
        );
        await enqueue(delivery.providerEventId, { payload: delivery.payload });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
      })
      .catch((err: unknown) => {
        response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
      });
  });
}

async function serveWebpig(store: Store): Promise<void> {
  await store.migrate();
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  const stats = serverStats();
  await app.register(ingestPlugin, {
    store,
    sources: parseSourceConfigs([BENCH_SOURCE]),
    groupCommit: { onBatch: (size, durationMs) => stats.record(size, durationMs) },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  // Exit on SIGTERM (instead of dying from it) so that --cpu-prof writes its profile.
  process.once(
    'SIGTERM',
    () =>
      void app.close().then(() => {
        process.stderr.write(`  ${store.dialect} server: ${stats.describe()}\n`);
        process.exit(0);
      }),
  );
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
}

/** A schema name for one server; the driver creates none and drops it after the run. */
export function peersSchema(kind: ServerKind): string {
  return `peers_${kind.replace('-', '_')}_${randomBytes(4).toString('hex')}`;
}

async function createSchema(url: string, schema: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await admin.end();
  return schema;
}

export async function serve(kind: ServerKind, url: string, schemaName: string): Promise<void> {
  switch (kind) {
    case 'bare':
      return listen((request, response) => {
        void readBody(request).then((body) =>
          response.writeHead(200, { 'content-type': 'application/json' }).end(`{"received":${body.length}}`),
        );
      });
    case 'webpig-sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'webpig-peers-'));
      return serveWebpig(SqliteStore.open(`sqlite:${join(dir, 'bench.db')}`));
    }
    case 'webpig-postgres': {
      const schema = await createSchema(url, schemaName);
      return serveWebpig(await PostgresStore.open(url, { schema, poolSize: POOL_SIZE }));
    }
    case 'pgboss': {
      const schema = schemaName;
      const boss = new PgBoss({ connectionString: url, schema, max: POOL_SIZE });
      boss.on('error', (err: unknown) => console.error(err));
      await boss.start();
      await boss.createQueue('deliveries');
      return serveQueue((id, payload) => boss.send('deliveries', payload, { singletonKey: id }));
    }
    case 'graphile': {
      const schema = schemaName;
      const utils = await makeWorkerUtils({ connectionString: url, schema, maxPoolSize: POOL_SIZE });
      await utils.migrate();
      return serveQueue((id, payload) => utils.addJob('delivery', payload, { jobKey: id }));
    }
  }
}
