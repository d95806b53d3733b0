import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { MigrationError } from '../../src/core/errors.js';
import { pendingMigrations, readMigrations, type Migration } from '../../src/store/migrations.js';
import { openSqliteDatabase, SqliteContext } from '../../src/store/sqlite/connection.js';
import { migrateSqlite, sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

function folderWith(files: Record<string, string>): { url: URL; remove: () => void } {
  const temp = tempDatabaseDir('webpig-migrations-');
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(temp.dir, name), sql);
  return { url: pathToFileURL(`${temp.dir}/`), remove: temp.remove };
}

const isMigrationError = (code: string) => (err: unknown) => err instanceof MigrationError && err.code === code;

describe('reading migration files', () => {
  it('reads numbered files in version order and ignores other files', () => {
    const folder = folderWith({ '0002_more.sql': 'B', '0001_init.sql': 'A', 'README.md': 'notes' });
    try {
      assert.deepEqual(readMigrations(folder.url), [
        { version: 1, name: '0001_init', sql: 'A' },
        { version: 2, name: '0002_more', sql: 'B' },
      ]);
    } finally {
      folder.remove();
    }
  });

  it('refuses gaps, repeats, badly named files and an empty folder', () => {
    const cases: [Record<string, string>, string][] = [
      [{ '0001_a.sql': '', '0003_c.sql': '' }, 'MIGRATIONS_NOT_CONTIGUOUS'],
      [{ '0001_a.sql': '', '0001_b.sql': '' }, 'MIGRATIONS_NOT_CONTIGUOUS'],
      [{ '0001_a.sql': '', '2_b.sql': '' }, 'MIGRATION_NAME_INVALID'],
      [{}, 'MIGRATIONS_MISSING'],
    ];
    for (const [files, code] of cases) {
      const folder = folderWith(files);
      try {
        assert.throws(() => readMigrations(folder.url), isMigrationError(code), JSON.stringify(files));
      } finally {
        folder.remove();
      }
    }
  });

  it('ships SQLite migrations beside the module, starting with 0001_init', () => {
    const migrations = sqliteMigrations();
    assert.equal(migrations[0]?.name, '0001_init');
  });

  it('names both versions when the database is newer than the code', () => {
    const known: Migration[] = [{ version: 1, name: '0001_init', sql: '' }];
    assert.deepEqual(pendingMigrations(0, known), known);
    assert.deepEqual(pendingMigrations(1, known), []);
    assert.throws(
      () => pendingMigrations(3, known),
      (err: unknown) =>
        isMigrationError('SCHEMA_TOO_NEW')(err) &&
        (err as Error).message === 'database schema is at version 3 but this webpig only knows up to 1; upgrade webpig',
    );
  });
});

describe('the SQLite migration runner', () => {
  const first: Migration = { version: 1, name: '0001_first', sql: 'CREATE TABLE a (x INTEGER);' };
  const second: Migration = { version: 2, name: '0002_second', sql: 'ALTER TABLE a ADD COLUMN y TEXT;' };

  it('applies only what is pending, in order', () => {
    const ctx = new SqliteContext(openSqliteDatabase(':memory:'));
    try {
      assert.deepEqual(
        migrateSqlite(ctx, [first], () => 10),
        { applied: ['0001_first'], current: 1 },
      );
      assert.deepEqual(
        migrateSqlite(ctx, [first, second], () => 20),
        { applied: ['0002_second'], current: 2 },
      );
      assert.deepEqual(
        migrateSqlite(ctx, [first, second], () => 30),
        { applied: [], current: 2 },
      );
      assert.deepEqual(ctx.db.prepare('SELECT version, name, applied_at FROM webpig_migrations ORDER BY version').all(), [
        { version: 1, name: '0001_first', applied_at: 10 },
        { version: 2, name: '0002_second', applied_at: 20 },
      ]);
      assert.throws(() => migrateSqlite(ctx, [first]), isMigrationError('SCHEMA_TOO_NEW'));
    } finally {
      ctx.close();
    }
  });

  it('a failing migration leaves neither its changes nor its version row', () => {
    const ctx = new SqliteContext(openSqliteDatabase(':memory:'));
    try {
      migrateSqlite(ctx, [first]);
      const broken: Migration = { version: 2, name: '0002_broken', sql: 'CREATE TABLE b (x INTEGER); SELECT * FROM missing_table;' };
      assert.throws(() => migrateSqlite(ctx, [first, broken]), isMigrationError('MIGRATION_FAILED'));
      assert.deepEqual(ctx.db.prepare('SELECT version FROM webpig_migrations').all(), [{ version: 1 }]);
      assert.deepEqual(ctx.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'").get(), { n: 0 });
    } finally {
      ctx.close();
    }
  });
});
