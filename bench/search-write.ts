/**
 * What the text search's trigram index (migration 0011) costs each stored event: the store's
 * own insertEvents (the path ingestion group-commits through), with the index and without it,
 * in the same run, rounds alternating, on SQLite (a file, WAL, synchronous=FULL) and
 * PostgreSQL (as the server is set).
 *
 *   node --import tsx bench/search-write.ts [--rounds 4] [--events 4000] [--batches 1,64] [--only sqlite|postgres]
 *
 * SQLite, three stores: the index written after the commit (migration 0012: the indexer's
 * batches are run before the round's clock stops, so their CPU and time are counted); written
 * in the commit (0011's insert trigger put back); none (the triggers dropped and the indexer's
 * progress set past every id, so nothing writes `events_search`). PostgreSQL: migrated, and
 * without the index a schema migrated to version 10. Each event carries a customer (name,
 * e-mail, document id) and two references, as a payment's summary does.
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

interface Variant {
  label: string;
  store: Store;
  /** Work the store defers past the insert, run before the round's clock stops. */
  settle?: () => void;
}

/** Events/s inserting `eventsPerRound` events in batches of `batch`, and CPU µs of this process an event. */
async function insertRound(variant: Variant, batch: number): Promise<{ perSecond: number; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < eventsPerRound; done += batch) {
    await variant.store.insertEvents(Array.from({ length: Math.min(batch, eventsPerRound - done) }, delivery));
  }
  variant.settle?.();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: eventsPerRound / seconds, cpuMicros: (used.user + used.system) / eventsPerRound };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Each variant's median rate and CPU an event; the last variant is the baseline of the ratios. */
async function compare(label: string, variants: Variant[]): Promise<void> {
  for (const batch of batchSizes) {
    const results = variants.map(() => [] as Array<{ perSecond: number; cpuMicros: number }>);
    for (let round = 0; round < rounds; round++) {
      // Rotate which goes first, so a change in the machine's load weighs on all alike.
      for (let k = 0; k < variants.length; k++) {
        const i = (round + k) % variants.length;
        results[i]?.push(await insertRound(variants[i] as Variant, batch));
      }
    }
    const rate = (i: number) => median((results[i] ?? []).map((x) => x.perSecond));
    const cpu = (i: number) => median((results[i] ?? []).map((x) => x.cpuMicros));
    const base = variants.length - 1;
    const cells = variants.map(
      (v, i) =>
        `${v.label} ${rate(i).toFixed(0)} events/s (${cpu(i).toFixed(0)} µs CPU here an event` +
        (i === base ? ')' : `, ratio ${(rate(i) / rate(base)).toFixed(2)})`),
    );
    console.log(`  ${label}, batches of ${String(batch).padStart(2)}: ${cells.join('; ')}   load ${load()}`);
  }
}

const SEARCH_TRIGGERS = ['events_search_insert', 'events_search_update', 'events_search_delete'];

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-search-write-'));
  try {
    const open = async (name: string) => {
      const store = SqliteStore.open(`sqlite:${join(dir, name)}`);
      await store.migrate();
      return store;
    };
    const after = await open('after.db');
    const inCommit = await open('in-commit.db');
    // 0011's insert trigger, as it was before 0012; every id is then indexed in its commit.
    inCommit.database.exec(`CREATE TRIGGER events_search_insert AFTER INSERT ON events BEGIN
      INSERT INTO events_search (rowid, search_text) VALUES (new.id, new.search_text);
      UPDATE events_search_progress SET indexed_through = new.id;
    END`);
    const plain = await open('plain.db');
    for (const trigger of SEARCH_TRIGGERS) plain.database.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
    plain.database.exec(`UPDATE events_search_progress SET indexed_through = ${Number.MAX_SAFE_INTEGER}`);
    console.log(`SQLite (WAL, synchronous=FULL), ${rounds} rounds of ${eventsPerRound} events, medians, load ${load()}:`);
    await compare('SQLite', [
      { label: 'indexed after the commit', store: after, settle: () => after.indexSearchNow() },
      { label: 'in the commit', store: inCommit },
      { label: 'no index', store: plain },
    ]);
    for (const store of [after, inCommit, plain]) await store.close();
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
    await compare('PostgreSQL', [
      { label: 'with the index', store: indexed },
      { label: 'without', store: plain },
    ]);
    await indexed.close();
    await plain.close();
  } finally {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (values.only !== 'postgres') await benchSqlite();
if (values.only !== 'sqlite') await benchPostgres();
