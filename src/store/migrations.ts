import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MigrationError } from '../core/errors.js';

/**
 * Dialect-neutral parts of migrating: reading the numbered `.sql` files that travel beside a
 * store's compiled module, and deciding what to apply. Each dialect's runner applies them in
 * its own transactions (recording the version row first, so two processes collide safely).
 */

export interface Migration {
  /** 1, 2, 3... from the file name `0001_init.sql`. */
  version: number;
  /** The file name without `.sql`, e.g. `0001_init`. */
  name: string;
  sql: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * Reads `dir`'s migration files, in version order. Versions must start at 1 and have no gaps
 * or repeats: a missing file would otherwise be silently skipped forever.
 */
export function readMigrations(dir: URL): Migration[] {
  const path = fileURLToPath(dir);
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (err) {
    throw new MigrationError('MIGRATIONS_MISSING', `cannot read the migrations folder ${path}`, { cause: err });
  }
  const migrations: Migration[] = [];
  for (const fileName of names) {
    if (!fileName.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(fileName);
    if (match === null) {
      throw new MigrationError('MIGRATION_NAME_INVALID', `migration file "${fileName}" is not named like 0001_name.sql`);
    }
    migrations.push({
      version: Number(match[1]),
      name: fileName.slice(0, -'.sql'.length),
      sql: readFileSync(new URL(fileName, dir), 'utf8'),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        'MIGRATIONS_NOT_CONTIGUOUS',
        `migration ${migration.name} should be version ${index + 1}: versions must count 1, 2, 3... with no gap or repeat`,
      );
    }
  });
  if (migrations.length === 0) throw new MigrationError('MIGRATIONS_MISSING', `no migration files in ${path}`);
  return migrations;
}

/** Highest version among `migrations` (0 when there are none). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** Refuses to touch a database migrated by a newer webpig: its data may not mean what we think. */
export function assertSchemaNotTooNew(databaseVersion: number, migrations: readonly Migration[]): void {
  const known = latestVersion(migrations);
  if (databaseVersion > known) {
    throw new MigrationError(
      'SCHEMA_TOO_NEW',
      `database schema is at version ${databaseVersion} but this webpig only knows up to ${known}; upgrade webpig`,
    );
  }
}

/** The migrations still to apply on a database at `databaseVersion`, in order. */
export function pendingMigrations(databaseVersion: number, migrations: readonly Migration[]): Migration[] {
  assertSchemaNotTooNew(databaseVersion, migrations);
  return migrations.filter((m) => m.version > databaseVersion);
}
