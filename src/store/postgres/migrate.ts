import type pg from 'pg';
import { type Migration, assertSchemaNotTooNew, readMigrations } from '../migrations.js';
import { MigrationError } from '../../core/errors.js';
import { inTransaction, quoteIdent } from './connection.js';
import { refreshSearchText } from './search-text-refresh.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** This dialect's numbered files `NNNN_name.sql`; npm run build copies them next to the compiled code. */
export function postgresMigrations(): Migration[] {
  return readMigrations(MIGRATIONS_DIR);
}

/**
 * Applies pending migrations to `schema`.
 *
 * Each file runs in its own transaction that first takes an advisory lock for the schema and
 * inserts its version row, then runs the file: two processes migrating at once serialise on
 * the lock, and even without it would collide on the version's primary key, so a file is
 * never applied twice. A database whose newest version is unknown to this code is refused.
 * Then the search text still to be refreshed is rewritten (0016, search-text-refresh.ts).
 */
export async function migratePostgres(
  pool: pg.Pool,
  schema: string,
  files: Migration[],
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<{ applied: string[]; current: number }> {
  const lockKey = `webpig:migrate:${schema}`;
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.webpig_migrations (
         version    integer     PRIMARY KEY,
         name       text        NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });

  const applied: string[] = [];
  for (const file of files) {
    const didApply = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      assertSchemaNotTooNew(await currentVersion(client), files);
      const exists = await client.query('SELECT 1 FROM webpig_migrations WHERE version = $1', [file.version]);
      if (exists.rowCount !== 0) return false;
      await client.query('INSERT INTO webpig_migrations (version, name) VALUES ($1, $2)', [file.version, file.name]);
      // A migration that goes on without something optional (0011 without pg_trgm) says so
      // with RAISE WARNING: passed on, not lost among the server's notices.
      const onNotice = (notice: { severity?: string; message?: string }) => {
        if (notice.severity === 'WARNING') warn(`webpig: migration ${file.name}: ${notice.message ?? ''}`);
      };
      client.on('notice', onNotice);
      try {
        await client.query(file.sql);
      } catch (err) {
        throw new MigrationError('MIGRATION_FAILED', `migration ${file.name} failed: ${(err as Error).message}`, { cause: err });
      } finally {
        client.off('notice', onNotice);
      }
      return true;
    });
    if (didApply) applied.push(file.name);
  }

  const current = await inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    return currentVersion(client);
  });
  assertSchemaNotTooNew(current, files);
  // The part of 0016 SQL cannot do, in batches; also what a process killed midway left.
  await refreshSearchText(pool, schema, undefined, warn);
  return { applied, current };
}

async function currentVersion(client: pg.PoolClient): Promise<number> {
  const result = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM webpig_migrations');
  return result.rows[0]?.version ?? 0;
}

/** The newest version applied to `schema`, without creating anything: 0 when it has no webpig tables. */
export async function appliedVersion(pool: pg.Pool, schema: string): Promise<number> {
  const table = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.webpig_migrations`]);
  if (!table.rows[0]?.found) return 0;
  const result = await pool.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${quoteIdent(schema)}.webpig_migrations`,
  );
  return result.rows[0]?.version ?? 0;
}
