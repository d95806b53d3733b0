/**
 * What the text search's trigram index (migration 0011) costs each stored event: the store's
 * own insertEvents (the path ingestion group-commits through), with the index and without it,
 * in the same run, rounds alternating, on SQLite (a file, WAL, synchronous=FULL) and
 * PostgreSQL (as the server is set).
 *
 *   node --import tsx bench/search-write.ts [--rounds 4] [--events 4000] [--batches 1,64] [--only sqlite|postgres]
 *
 * Without the index: SQLite with migration 0011's triggers dropped (nothing writes
 * `events_search`); PostgreSQL in a schema migrated to version 10. Each event carries a
 * customer (name, e-mail, document id) and two references, as a payment's summary does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migratePostgres, postgresMigrations } from '../src/store/postgres/migrate.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { NewEvent, Store } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    events: { type: 'string', default: '4000' },
    batches: { type: 'string', default: '1,64' },
    only: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const eventsPerRound = Number(values.events);
const batchSizes = (values.batches ?? '1,64').split(',').map(Number);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

let counter = 0;
function delivery(): NewEvent {
  counter += 1;
  const now = new Date();
  return {
    source: 'epayco',
    providerEventId: `ref_payco_${counter}_${randomBytes(4).toString('hex')}`,
    entityKey: `order-${counter}`,
    type: 'payment.updated',
    transactionStatus: 'accepted',
    occurredAt: now,
    receivedAt: now,
    rawBody: Buffer.from(`{"x_ref_payco":"${counter}"}`),
    contentType: 'application/json',
    payload: { x_ref_payco: String(counter) },
    summary: {
      customer: { name: 'Ana María Pérez Gómez', email: `ana.perez${counter}@example.com`, documentId: String(1_020_304_050 + counter) },
      amount: 250_000,
      currency: 'COP',
      references: { invoice: `FV-${90_000 + counter}`, order: `ORD-${counter}` },
    },
  };
}

/** Events/s inserting `eventsPerRound` events in batches of `batch`, and CPU µs of this process an event. */
async function insertRound(store: Store, batch: number): Promise<{ perSecond: number; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < eventsPerRound; done += batch) {
    await store.insertEvents(Array.from({ length: Math.min(batch, eventsPerRound - done) }, delivery));
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: eventsPerRound / seconds, cpuMicros: (used.user + used.system) / eventsPerRound };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function compare(label: string, indexed: Store, plain: Store): Promise<void> {
  for (const batch of batchSizes) {
    const withIndex: Array<{ perSecond: number; cpuMicros: number }> = [];
    const without: Array<{ perSecond: number; cpuMicros: number }> = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so a change in the machine's load weighs on both alike.
      if (round % 2 === 0) {
        withIndex.push(await insertRound(indexed, batch));
        without.push(await insertRound(plain, batch));
      } else {
        without.push(await insertRound(plain, batch));
        withIndex.push(await insertRound(indexed, batch));
      }
    }
    const rate = (xs: typeof withIndex) => median(xs.map((x) => x.perSecond));
    const cpu = (xs: typeof withIndex) => median(xs.map((x) => x.cpuMicros));
    console.log(
      `  ${label}, batches of ${String(batch).padStart(2)}: with the index ${rate(withIndex).toFixed(0).padStart(6)} events/s (${cpu(withIndex).toFixed(0)} µs CPU here an event), ` +
        `without ${rate(without).toFixed(0).padStart(6)} events/s (${cpu(without).toFixed(0)} µs)   ratio ${(rate(withIndex) / rate(without)).toFixed(2)}   load ${load()}`,
    );
  }
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-search-write-'));
  try {
    const indexed = SqliteStore.open(`sqlite:${join(dir, 'indexed.db')}`);
    const plain = SqliteStore.open(`sqlite:${join(dir, 'plain.db')}`);
    await indexed.migrate();
    await plain.migrate();
    for (const trigger of ['events_search_insert', 'events_search_update', 'events_search_delete'])
      plain.database.exec(`DROP TRIGGER ${trigger}`);
    console.log(`SQLite (WAL, synchronous=FULL), ${rounds} rounds of ${eventsPerRound} events, medians, load ${load()}:`);
    await compare('SQLite', indexed, plain);
    await indexed.close();
    await plain.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<void> {
  const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schemas = [`webpig_bench_${randomBytes(4).toString('hex')}`, `webpig_bench_${randomBytes(4).toString('hex')}`] as const;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const sync = (await admin.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit;
    const indexed = await PostgresStore.open(url, { schema: schemas[0] });
    await indexed.migrate();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await migratePostgres(pool, schemas[1], postgresMigrations().slice(0, 10));
    await pool.end();
    const plain = await PostgresStore.open(url, { schema: schemas[1] });
    console.log(`PostgreSQL (synchronous_commit=${sync}), ${rounds} rounds of ${eventsPerRound} events, medians, load ${load()}:`);
    await compare('PostgreSQL', indexed, plain);
    await indexed.close();
    await plain.close();
  } finally {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (values.only !== 'postgres') await benchSqlite();
if (values.only !== 'sqlite') await benchPostgres();
