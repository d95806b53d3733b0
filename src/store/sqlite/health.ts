import Database from 'better-sqlite3';
import { StoreError } from '../../core/errors.js';
import { EVENT_STATUSES, type EventStatus } from '../../core/types.js';
import type { QueueStats } from '../store.js';
import type { SqliteContext } from './connection.js';

/** Between two tries of the write lock while another connection holds it. */
const PING_RETRY_MS = 25;

/**
 * Readiness: can this connection take the write lock within `timeoutMs`? In WAL mode reads
 * never wait, so a read would say "ready" while every delivery's commit is stuck behind
 * another process's lock; the lock is what ingestion needs. better-sqlite3 is synchronous and
 * its busy timeout would block the event loop for the whole wait, so the lock is tried with
 * no busy timeout and retried between timers instead.
 */
export async function ping(ctx: SqliteContext, timeoutMs: number, busyTimeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = tryWriteLock(ctx.db, busyTimeoutMs);
    if (failure === null) return;
    if (!failure.busy || Date.now() + PING_RETRY_MS > deadline) {
      throw new StoreError(
        'DATABASE_UNAVAILABLE',
        failure.busy
          ? `SQLite database did not answer within ${timeoutMs} ms: another connection holds its write lock`
          : `SQLite database did not answer: ${failure.message}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, PING_RETRY_MS));
  }
}

function tryWriteLock(db: Database.Database, busyTimeoutMs: number): { busy: boolean; message: string } | null {
  if (!db.open) return { busy: false, message: 'the store is closed' };
  // Inside a transaction of this connection (impossible between awaits, but cheap to respect).
  if (db.inTransaction) return null;
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return null;
  } catch (err) {
    const code = err instanceof Database.SqliteError ? err.code : '';
    return { busy: code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'), message: (err as Error).message };
  } finally {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}

/** Events by status (one pass over the events_status index) and the oldest queued event. */
export function queueStats(ctx: SqliteContext): QueueStats {
  const byStatus = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
  for (const row of ctx.all<{ status: EventStatus; n: number }>('SELECT status, count(*) AS n FROM events GROUP BY status')) {
    byStatus[row.status] = row.n;
  }
  const oldest = ctx.get<{ at: number | null }>(`SELECT min(next_attempt_at) AS at FROM events WHERE status = 'queued'`);
  return { byStatus, oldestQueuedAt: oldest?.at == null ? null : new Date(oldest.at) };
}
