import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase, SqliteContext } from '../../src/store/sqlite/connection.js';
import { migrateSqlite, sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A fresh temporary directory for a database file, and a way to remove it. */
export function tempDatabaseDir(prefix = 'webpig-sqlite-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a version row as a newer webpig would (for SCHEMA_TOO_NEW tests). */
export function recordAppliedMigration(store: SqliteStore, version: number, name: string): void {
  store.database.prepare('INSERT INTO webpig_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, name, Date.now());
}

/** Sets an event's lease columns by hand (test fixtures: a row left with a stale lease). */
export function writeLeaseOnRow(store: SqliteStore, eventId: number, owner: string, expiresAt: Date): void {
  store.database.prepare('UPDATE events SET lease_owner = ?, lease_expires_at = ? WHERE id = ?').run(owner, expiresAt.getTime(), eventId);
}

/**
 * A database file migrated only up to `version`, as an older webpig left it, through a raw
 * context (no SqliteStore: its queries expect the newest schema). The caller closes it.
 */
export function sqliteAtVersion(filename: string, version: number): SqliteContext {
  const ctx = new SqliteContext(openSqliteDatabase(filename));
  migrateSqlite(ctx, sqliteMigrations().slice(0, version));
  return ctx;
}

/** One event as webpigs before migration 0005 stored it: body and payload in the events row. */
export interface LegacyEvent {
  providerEventId: string;
  rawBody: Buffer;
  payload: string;
  summary: string;
}

export function insertLegacyEvent(ctx: SqliteContext, event: LegacyEvent): number {
  const row = ctx.db
    .prepare(
      `INSERT INTO events (source, provider_event_id, type, occurred_at, received_at, raw_body, content_type,
         payload, summary, status, next_attempt_at, updated_at)
       VALUES ('epayco', ?, 'payment.updated', 0, 0, ?, 'application/json', ?, ?, 'queued', 0, 0) RETURNING id`,
    )
    .get(event.providerEventId, event.rawBody, event.payload, event.summary) as { id: number };
  return row.id;
}
