import { MigrationError } from '../../core/errors.js';
import { pendingMigrations, readMigrations, type Migration } from '../migrations.js';
import type { SqliteContext } from './connection.js';
import { refreshSearchText } from './search-text-refresh.js';

/** The numbered .sql files beside this module (copied into dist by scripts/copy-assets.mjs). */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

let bundled: Migration[] | undefined;

/** This webpig's SQLite migrations, read once per process. */
export function sqliteMigrations(): Migration[] {
  bundled ??= readMigrations(MIGRATIONS_DIR);
  return bundled;
}

// Created before any migration so the version row can be written first; 0001 repeats it
// (IF NOT EXISTS) so the schema file alone describes the whole database.
const CREATE_VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS webpig_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** The newest version applied, without creating anything: 0 when the file has no webpig tables. */
export function appliedVersion(ctx: SqliteContext): number {
  const table = ctx.get<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'webpig_migrations'");
  return table === undefined ? 0 : currentVersion(ctx);
}

function currentVersion(ctx: SqliteContext): number {
  return ctx.get<{ version: number | null }>('SELECT max(version) AS version FROM webpig_migrations')?.version ?? 0;
}

/**
 * Applies pending migrations in order, each in its own IMMEDIATE transaction that first
 * inserts the version row: a second process migrating at the same moment waits for the lock,
 * then finds the version taken and skips it. Running it again applies nothing. Then rewrites
 * the search text still to be refreshed (0014, search-text-refresh.ts).
 */
export function migrateSqlite(
  ctx: SqliteContext,
  migrations: readonly Migration[] = sqliteMigrations(),
  now: () => number = Date.now,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): { applied: string[]; current: number } {
  // The raw connection commits below: at the connection's own level (connection.ts).
  ctx.restoreSyncLevel();
  ctx.db.exec(CREATE_VERSIONS_TABLE);
  const applied: string[] = [];
  for (const migration of pendingMigrations(currentVersion(ctx), migrations)) {
    const ran = ctx.immediate(() => {
      const inserted = ctx.db
        .prepare('INSERT INTO webpig_migrations (version, name, applied_at) VALUES (?, ?, ?) ON CONFLICT (version) DO NOTHING')
        .run(migration.version, migration.name, now());
      if (inserted.changes === 0) return false; // another process applied it meanwhile
      try {
        ctx.db.exec(migration.sql);
      } catch (err) {
        throw new MigrationError('MIGRATION_FAILED', `migration ${migration.name} failed: ${(err as Error).message}`, { cause: err });
      }
      return true;
    });
    if (ran) applied.push(migration.name);
  }
  const current = currentVersion(ctx);
  // Checked again at the end: a newer webpig may have migrated past us while we waited.
  pendingMigrations(current, migrations);
  // The part of 0014 SQL cannot do, in batches; also what a process killed midway left.
  refreshSearchText(ctx, undefined, warn);
  return { applied, current };
}
