import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { NewEvent } from '../../src/store/store.js';

/**
 * PostgreSQL for tests. Every test file works in schemas of its own, named
 * `webpig_test_<pid>_<random>`, created here and dropped after the file's tests — unless a
 * test failed, in which case they are kept (and named on stderr) so the evidence stays.
 */

export function postgresUrl(): string {
  return process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** The URL without its password, for messages. */
function displayUrl(): string {
  try {
    const url = new URL(postgresUrl());
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable WEBPIG_TEST_POSTGRES_URL)';
  }
}

let probed: Promise<string | null> | undefined;

/** null when PostgreSQL answers, else why not. Probed once per process. */
function probe(): Promise<string | null> {
  probed ??= (async () => {
    const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (err) {
      return `PostgreSQL not reachable at ${displayUrl()} : ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probed;
}

/**
 * For `describe(name, { skip: await postgresSkip() }, …)`: false when PostgreSQL is
 * reachable, else the reason (printed loudly). With WEBPIG_REQUIRE_POSTGRES=1 an unreachable
 * server is an error instead, so CI cannot pass by skipping.
 */
export async function postgresSkip(): Promise<string | false> {
  const reason = await probe();
  if (reason === null) return false;
  if (process.env.WEBPIG_REQUIRE_POSTGRES === '1') throw new Error(`${reason} (WEBPIG_REQUIRE_POSTGRES=1)`);
  console.warn(`\n!!! SKIPPING PostgreSQL tests: ${reason}\n`);
  return reason;
}

export interface TestSchema {
  schema: string;
  /** postgresUrl() with `?schema=<schema>`, for PostgresStore.open(url) or openStore(url). */
  url: string;
}

export interface TestSchemas {
  /** Creates a new, empty schema. */
  create(): Promise<TestSchema>;
  /** Only a name, not created: for tests of what creates it (migrations). */
  name(): string;
}

/**
 * Call inside a `describe` (or at the top of a file): registers an `after` hook that drops
 * every schema made through the returned factory if all tests passed, and keeps them (naming
 * them) if any failed. node:test sets process.exitCode once a test has failed.
 */
export function withTestSchema(): TestSchemas {
  const made: string[] = [];
  const name = (): string => {
    const schema = `webpig_test_${process.pid}_${randomBytes(5).toString('hex')}`;
    made.push(schema);
    return schema;
  };
  after(async () => {
    if (made.length === 0) return;
    const failed = process.exitCode !== undefined && process.exitCode !== 0;
    if (failed) {
      console.error(`PostgreSQL test schemas KEPT for inspection (a test failed): ${made.join(', ')}`);
      return;
    }
    const client = new pg.Client({ connectionString: postgresUrl() });
    client.on('error', () => undefined);
    await client.connect();
    try {
      for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  return {
    name,
    async create() {
      const schema = name();
      const client = new pg.Client({ connectionString: postgresUrl() });
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA "${schema}"`);
      } finally {
        await client.end();
      }
      return { schema, url: schemaUrl(schema) };
    },
  };
}

export function schemaUrl(schema: string): string {
  const url = new URL(postgresUrl());
  url.searchParams.set('schema', schema);
  return url.toString();
}

// ── Fixtures for PostgreSQL-only tests ───────────────────────────────────────────────────

/** A fixed clock for PostgreSQL-only tests: `at(seconds)` after T0. */
export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A valid delivery with the given provider id. */
export function newEvent(providerEventId: string, fields: Partial<NewEvent> = {}): NewEvent {
  return {
    source: 'stripe',
    providerEventId,
    entityKey: null,
    type: 'payment.accepted',
    transactionStatus: 'accepted',
    occurredAt: T0,
    receivedAt: T0,
    rawBody: Buffer.from(`{"id":"${providerEventId}"}`),
    contentType: 'application/json',
    payload: { id: providerEventId },
    summary: {},
    ...fields,
  };
}

/** A PostgresStore on `url`, migrated. The caller closes it. */
export async function openMigrated(url: string, poolSize?: number): Promise<PostgresStore> {
  const store = await PostgresStore.open(url, poolSize === undefined ? {} : { poolSize });
  await store.migrate();
  return store;
}

/** Runs SQL in `schema` on a connection of its own, for checks behind the store's back. */
export async function queryIn<R extends pg.QueryResultRow>(schema: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
