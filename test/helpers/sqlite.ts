import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A fresh temporary directory for a database file, and a way to remove it. */
export function tempDatabaseDir(prefix = 'webpig-sqlite-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a version row as a newer webpig would (for SCHEMA_TOO_NEW tests). */
export function recordAppliedMigration(store: SqliteStore, version: number, name: string): void {
  store.database
    .prepare('INSERT INTO webpig_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    .run(version, name, Date.now());
}
