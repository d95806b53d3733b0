import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';
import { MigrationError } from '../../core/errors.js';
import { inTransaction, quoteIdent } from './connection.js';

export interface MigrationFile {
  version: number;
  /** File name without `.sql`, e.g. `0001_init`. */
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Numbered files `NNNN_name.sql`, in order. npm run build copies them next to the compiled code. */
export async function readMigrationFiles(dir: URL = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const fileName of names) {
    const match = FILE_NAME.exec(fileName);
    if (!match) throw new MigrationError('MIGRATION_FILE_INVALID', `migration file ${fileName} is not named NNNN_name.sql`);
    const version = Number(match[1]);
    if (files.some((f) => f.version === version)) {
      throw new MigrationError('MIGRATION_FILE_INVALID', `two migration files have version ${version}`);
    }
    files.push({ version, name: fileName.slice(0, -'.sql'.length), sql: await readFile(new URL(fileName, dir), 'utf8') });
  }
  return files;
}

/**
 * Applies pending migrations to `schema`.
 *
 * Each file runs in its own transaction that first takes an advisory lock for the schema and
 * inserts its version row, then runs the file: two processes migrating at once serialise on
 * the lock, and even without it would collide on the version's primary key, so a file is
 * never applied twice. A database whose newest version is unknown to this code is refused.
 */
export async function migrateSchema(
  pool: pg.Pool,
  schema: string,
  files: MigrationFile[],
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

  const known = files.length === 0 ? 0 : Math.max(...files.map((f) => f.version));
  const applied: string[] = [];
  for (const file of files) {
    const didApply = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      const current = await currentVersion(client);
      if (current > known) {
        throw new MigrationError(
          'SCHEMA_TOO_NEW',
          `database schema "${schema}" is at version ${current}, newer than this webpig (${known}); upgrade webpig`,
        );
      }
      const exists = await client.query('SELECT 1 FROM webpig_migrations WHERE version = $1', [file.version]);
      if (exists.rowCount !== 0) return false;
      await client.query('INSERT INTO webpig_migrations (version, name) VALUES ($1, $2)', [file.version, file.name]);
      try {
        await client.query(file.sql);
      } catch (err) {
        throw new MigrationError('MIGRATION_FAILED', `migration ${file.name} failed: ${(err as Error).message}`, { cause: err });
      }
      return true;
    });
    if (didApply) applied.push(file.name);
  }

  const current = await inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    return currentVersion(client);
  });
  if (current > known) {
    throw new MigrationError(
      'SCHEMA_TOO_NEW',
      `database schema "${schema}" is at version ${current}, newer than this webpig (${known}); upgrade webpig`,
    );
  }
  return { applied, current };
}

async function currentVersion(client: pg.PoolClient): Promise<number> {
  const result = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM webpig_migrations');
  return result.rows[0]?.version ?? 0;
}
