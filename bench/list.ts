/**
 * The events list at scale: `GET /api/events` p50/p95 over real HTTP to the real server
 * (buildServer, an API token), with N events in the store (default 1,000,000), SQLite and
 * PostgreSQL: unfiltered, by status (a common one and a rare one), and with a text search
 * (`q=`) that matches few rows and one that matches many.
 *
 *   node --import tsx bench/list.ts [--events 1000000] [--samples 40] [--only sqlite|postgres] [--explain]
 *
 * --explain prints each store's plan (its own filter SQL, the page query's shape) for the searches.
 *
 * Beside the HTTP figures, in the same run on the same data, the text searches' page query
 * alone, in process: as the store runs it now (SQLite: through `events_search`, the FTS5
 * trigram table of migration 0011, for a term in fewer than 2,000 rows; PostgreSQL: `LIKE`
 * that the pg_trgm GIN index answers) and as it ran before 0011 (a substring test walking
 * the table: `instr(search_text, ?)`, `strpos(e.search_text, $n)`) — the baseline and the ratio.
 *
 * The store is filled with multi-row INSERT … SELECT in the database itself (a bulk path, not
 * the webhook endpoint): 90 % succeeded, 5 % dead, 5 % ignored; one customer in 10,000 is
 * "Zoe Rareza". No checkpoints are written: the page's checkpoint read finds none.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { WebpigConfig } from '../src/config/types.js';
import { buildServer } from '../src/service/app.js';
import { createApiToken } from '../src/server/auth/tokens.js';
import { eventFilterSql as postgresFilterSql } from '../src/store/postgres/events.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { searchTerm } from '../src/store/search-text.js';
import { SqliteContext } from '../src/store/sqlite/connection.js';
import { eventFilterSql as sqliteFilterSql, listEventsQuery } from '../src/store/sqlite/events.js';
import { EVENT_COLUMNS } from '../src/store/sqlite/rows.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { migrateSqlite, sqliteMigrations } from '../src/store/sqlite/migrate.js';
import { migratePostgres, postgresMigrations } from '../src/store/postgres/migrate.js';
import type { EventFilter, Store } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '40' },
    only: { type: 'string' },
    explain: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const samples = Number(values.samples);

const CONFIG: WebpigConfig = {
  sources: [],
  pipelines: [],
  auth: { allowedDomains: ['example.com'], defaultRole: null, roles: { admin: { members: ['ana@example.com'] } } },
} as unknown as WebpigConfig;

const CASES: Array<[string, string]> = [
  ['unfiltered', '/api/events'],
  ['status=succeeded (90 %)', '/api/events?status=succeeded'],
  ['status=dead (5 %)', '/api/events?status=dead'],
  ['q=rareza (1 in 10,000)', '/api/events?q=rareza'],
  ['q=example.com (every row)', '/api/events?q=example.com'],
  ['status=dead&q=rareza', '/api/events?status=dead&q=rareza'],
];

// Row i: status by i % 20, customer "Zoe Rareza" when i % 10000 = 7, an hour's spread of times.
const SQLITE_FILL = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  INSERT INTO events (source, provider_event_id, entity_key, type, transaction_status, occurred_at, received_at,
    content_type, summary, search_text, status, updated_at)
  SELECT 'shop', 'evt_' || i, 'order-' || (i / 3), 'order.paid', 'accepted', 1796000000000 + i * 1000, 1796000000000 + i * 1000,
    'application/json',
    '{"customer":{"name":"' || CASE WHEN i % 10000 = 7 THEN 'Zoe Rareza' ELSE 'Juan Pérez' END || '","email":"c' || i || '@example.com"},"amount":250000,"currency":"COP"}',
    'evt_' || i || char(10) || CASE WHEN i % 10000 = 7 THEN 'zoe rareza' ELSE 'juan pérez' END || char(10) || 'c' || i || '@example.com',
    CASE WHEN i % 20 = 0 THEN 'dead' WHEN i % 20 = 1 THEN 'ignored' ELSE 'succeeded' END,
    1796000000000 + i * 1000
  FROM n`;
const SQLITE_BODIES = `INSERT INTO event_bodies (event_id, raw_body, payload)
  SELECT id, CAST('{"id":"' || provider_event_id || '"}' AS BLOB), '{"id":"' || provider_event_id || '"}' FROM events`;

const postgresFill = (schema: string, from: number, to: number): string => `INSERT INTO "${schema}".events
    (source, provider_event_id, entity_key, type, transaction_status, occurred_at, received_at, raw_body, content_type,
     payload, summary, search_text, status, updated_at)
  SELECT 'shop', 'evt_' || i, 'order-' || (i / 3), 'order.paid', 'accepted',
    to_timestamp(1796000000 + i), to_timestamp(1796000000 + i), convert_to('{"id":"evt_' || i || '"}', 'UTF8'), 'application/json',
    jsonb_build_object('id', 'evt_' || i),
    jsonb_build_object('customer', jsonb_build_object('name', CASE WHEN i % 10000 = 7 THEN 'Zoe Rareza' ELSE 'Juan Pérez' END,
      'email', 'c' || i || '@example.com'), 'amount', 250000, 'currency', 'COP'),
    'evt_' || i || E'\\n' || CASE WHEN i % 10000 = 7 THEN 'zoe rareza' ELSE 'juan pérez' END || E'\\n' || 'c' || i || '@example.com',
    CASE WHEN i % 20 = 0 THEN 'dead' WHEN i % 20 = 1 THEN 'ignored' ELSE 'succeeded' END,
    to_timestamp(1796000000 + i)
  FROM generate_series(${from}, ${to}) AS i`;

/** The filters of the cases that search text, for --explain and the same-run baseline. */
const EXPLAINED: Array<[string, EventFilter]> = [
  ['q=rareza', { text: 'rareza' }],
  ['q=example.com', { text: 'example.com' }],
  ['status=dead&q=rareza', { status: ['dead'], text: 'rareza' }],
];

/** The migration that adds the text search's trigram indexes (both dialects). */
const SEARCH_INDEX_MIGRATION = 11;

/** Timed runs of each page query in the baseline comparison (the old one takes up to a second). */
const QUERY_SAMPLES = 10;

/** p50 / p95 of `run` over QUERY_SAMPLES runs after one warm-up. */
async function timeQuery(run: () => Promise<unknown> | unknown): Promise<{ p50: number; p95: number }> {
  await run();
  const times: number[] = [];
  for (let s = 0; s < QUERY_SAMPLES; s++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

/** Prints the searches' page query now (indexed) beside before 0011 (the substring scan). */
async function compareQueries(
  label: string,
  now: (filter: EventFilter) => Promise<unknown> | unknown,
  before: (filter: EventFilter) => Promise<unknown> | unknown,
): Promise<void> {
  console.log(`  ${label} page query alone, in process, ${QUERY_SAMPLES} runs each, load average ${loadavg()[0]?.toFixed(1)}:`);
  for (const [name, filter] of EXPLAINED) {
    const indexed = await timeQuery(() => now(filter));
    const scan = await timeQuery(() => before(filter));
    console.log(
      `    ${name.padEnd(22)} indexed p50 ${indexed.p50.toFixed(1).padStart(7)} / p95 ${indexed.p95.toFixed(1).padStart(7)} ms   ` +
        `substring scan (before) p50 ${scan.p50.toFixed(1).padStart(7)} / p95 ${scan.p95.toFixed(1).padStart(7)} ms   ` +
        `p95 ratio ${(scan.p95 / indexed.p95).toFixed(1)}×`,
    );
  }
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function measure(store: Store, label: string): Promise<void> {
  const app = await buildServer({ store, config: CONFIG, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const base = `http://127.0.0.1:${address.port}`;
  const { token } = await createApiToken(store, { name: 'bench', scopes: ['events:read'], createdBy: 'bench', now: new Date() });
  const headers = { authorization: `Bearer ${token}` };
  console.log(
    `\n${label}: ${events.toLocaleString('en')} events, ${samples} requests a case (after 3 warm-up), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const [name, path] of CASES) {
    const times: number[] = [];
    let items = 0;
    for (let s = 0; s < samples + 3; s++) {
      const started = performance.now();
      const response = await fetch(base + path, { headers });
      const body = (await response.json()) as { items?: unknown[] };
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
      if (s >= 3) times.push(performance.now() - started);
      items = body.items?.length ?? 0;
    }
    times.sort((a, b) => a - b);
    const p95 = percentile(times, 95);
    console.log(
      `  ${name.padEnd(28)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms   ` +
        `${String(items).padStart(3)} rows   ${p95 <= 50 ? 'ok' : 'MISSES'} (target p95 ≤ 50 ms)`,
    );
  }
  await app.close();
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-list-'));
  try {
    const store = SqliteStore.open(`sqlite:${join(dir, 'list.db')}`);
    const ctx = new SqliteContext(store.database, { intervalMs: 0 });
    // Filled at version 10, then migrated: 0011's backfill of the trigram index is timed as an upgrade would run it,
    // with 0014's rewrite of the search text the fill wrote as webpig then did ('juan pérez').
    migrateSqlite(ctx, sqliteMigrations().slice(0, SEARCH_INDEX_MIGRATION - 1));
    const started = performance.now();
    store.database.transaction(() => {
      store.database.prepare(SQLITE_FILL).run(events);
      store.database.prepare(SQLITE_BODIES).run();
    })();
    console.log(`SQLite: filled ${events.toLocaleString('en')} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const migrating = performance.now();
    await store.migrate();
    const dbFile = join(dir, 'list.db');
    const pages = (name: string) =>
      (store.database.prepare(`SELECT count(*) AS n FROM dbstat WHERE name LIKE ?`).get(name) as { n: number }).n;
    const pageSize = store.database.pragma('page_size', { simple: true }) as number;
    console.log(
      `SQLite: migration 0011 (index ${events.toLocaleString('en')} events; with 0014, which refolds their search text) took ${((performance.now() - migrating) / 1000).toFixed(1)} s; ` +
        `events_search ${((pages('events_search%') * pageSize) / 2 ** 20).toFixed(0)} MiB beside events ${((pages('events') * pageSize) / 2 ** 20).toFixed(0)} MiB (${dbFile})`,
    );
    store.database.exec('ANALYZE');
    await measure(store, 'SQLite (WAL)');
    // Before 0011 the page query was the same filter (instr() is still the recheck) on the table alone.
    const scanQuery = (filter: EventFilter) => {
      const { where, params } = sqliteFilterSql(filter);
      return { sql: `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where} ORDER BY id DESC LIMIT 51`, params };
    };
    await compareQueries(
      'SQLite',
      (filter) => {
        const { sql, params } = listEventsQuery(ctx, filter, { limit: 50 });
        return store.database.prepare(sql).all(...params);
      },
      (filter) => {
        const { sql, params } = scanQuery(filter);
        return store.database.prepare(sql).all(...params);
      },
    );
    if (values.explain) {
      for (const [name, filter] of EXPLAINED) {
        const { sql, params } = listEventsQuery(ctx, filter, { limit: 50 });
        const plan = store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params);
        console.log(`  plan, ${name}: ${plan.map((row) => (row as { detail: string }).detail).join(' | ')}`);
      }
    }
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<void> {
  const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `webpig_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const store = await PostgresStore.open(url, { schema });
    // Filled at version 10, then migrated: 0011's index build is timed as an upgrade would run it.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await migratePostgres(pool, schema, postgresMigrations().slice(0, SEARCH_INDEX_MIGRATION - 1));
    await pool.end();
    const started = performance.now();
    const chunk = 100_000;
    for (let from = 1; from <= events; from += chunk) await admin.query(postgresFill(schema, from, Math.min(events, from + chunk - 1)));
    await admin.query(`SELECT setval(pg_get_serial_sequence('"${schema}".events', 'id'), ${events})`);
    await admin.query(`VACUUM ANALYZE "${schema}".events`);
    console.log(`PostgreSQL: filled ${events.toLocaleString('en')} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const migrating = performance.now();
    await store.migrate();
    const sizes = await admin.query<{ index: string; table: string }>(
      `SELECT pg_size_pretty(pg_relation_size('"${schema}".events_search_trgm')) AS index, pg_size_pretty(pg_relation_size('"${schema}".events')) AS table`,
    );
    console.log(
      `PostgreSQL: migration 0011 (GIN trigram index on ${events.toLocaleString('en')} events; with 0016, which refolds their search text) took ${((performance.now() - migrating) / 1000).toFixed(1)} s; ` +
        `index ${sizes.rows[0]?.index} beside the table's ${sizes.rows[0]?.table}`,
    );
    await measure(store, 'PostgreSQL');
    await admin.query(`SET search_path TO "${schema}"`);
    await compareQueries(
      'PostgreSQL',
      (filter) => {
        const params: unknown[] = [];
        const where = postgresFilterSql(filter, params);
        return admin.query(`SELECT e.* FROM events e WHERE ${where} ORDER BY e.id DESC LIMIT 51`, params);
      },
      (filter) => {
        // Before 0011: strpos(), and the status filter as eventFilterSql writes it.
        const params: unknown[] = [searchTerm(filter.text ?? '')];
        const status = filter.status === undefined ? '' : ` AND e.status = ANY($${params.push(filter.status)}::text[])`;
        return admin.query(`SELECT e.* FROM events e WHERE strpos(e.search_text, $1) > 0${status} ORDER BY e.id DESC LIMIT 51`, params);
      },
    );
    if (values.explain) {
      for (const [name, filter] of EXPLAINED) {
        const params: unknown[] = [];
        const where = postgresFilterSql(filter, params);
        const plan = await admin.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS) SELECT e.* FROM events e WHERE ${where} ORDER BY e.id DESC LIMIT 51`,
          params,
        );
        console.log(`  plan, ${name}:\n${plan.rows.map((row) => `    ${row['QUERY PLAN']}`).join('\n')}`);
      }
    }
    await store.close();
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (values.only !== 'postgres') await benchSqlite();
if (values.only !== 'sqlite') await benchPostgres();
