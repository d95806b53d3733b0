import type pg from 'pg';
import { errorMessage, StoreError } from '../../core/errors.js';
import type { ActiveStatus, QueueStats } from '../store.js';
import type { Queryable } from './connection.js';

/** Rejects with `what` once `ms` have passed; the caller cleans up whatever was still running. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what)), Math.max(1, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Readiness: a read of the events table within `timeoutMs`, counting the wait for a pooled
 * connection. The server ends the statement too (statement_timeout), so a probe stuck behind
 * a lock does not leave a backend waiting; a client that timed out is destroyed, not reused.
 */
export async function ping(pool: pg.Pool, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const connecting = pool.connect();
  let client: pg.PoolClient;
  try {
    client = await within(connecting, timeoutMs, `no connection within ${timeoutMs} ms`);
  } catch (err) {
    // A connection that arrives after we gave up goes straight back.
    connecting.then(
      (late) => late.release(),
      () => undefined,
    );
    throw unavailable(err);
  }
  // A connection lost while checked out emits 'error' on the client: without a listener that
  // is an uncaught exception that kills the process, the opposite of reporting "not ready".
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    await within(
      (async () => {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(Math.max(1, deadline - Date.now()))]);
        await client.query('SELECT 1 FROM events LIMIT 1');
        await client.query('COMMIT');
      })(),
      deadline - Date.now(),
      `no answer within ${timeoutMs} ms`,
    );
    client.off('error', ignore);
    client.release();
  } catch (err) {
    // Destroyed, not reused: a query may still be running on it. The listener stays until then.
    client.release(true);
    throw unavailable(err);
  }
}

/**
 * A session that may not write (a standby, or default_transaction_read_only set for the role,
 * the database or the URL's options) would accept every read and refuse every delivery.
 */
export async function assertWritable(db: Queryable): Promise<void> {
  const result = await db.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
  if (result.rows[0]?.transaction_read_only === 'on') {
    throw new StoreError(
      'DATABASE_READ_ONLY',
      'the PostgreSQL database is read-only: its sessions start with transaction_read_only on (a standby, or default_transaction_read_only); point --db at the primary',
    );
  }
}

function unavailable(err: unknown): StoreError {
  return new StoreError('DATABASE_UNAVAILABLE', `PostgreSQL did not answer: ${errorMessage(err)}`, { cause: err });
}

// Both read only the few unfinished and dead rows (events_status_idx, events_claim_idx), never
// the history: measured on 200,000 events, 7-14 ms against 100-285 ms for a GROUP BY over all statuses.
const ACTIVE_COUNTS = `SELECT status, count(*) AS n FROM events
  WHERE status IN ('queued', 'processing', 'retrying', 'dead') GROUP BY status`;
// A queued event's runnable_at is its next_attempt_at; events_claim_idx holds unfinished rows in that order.
const OLDEST_QUEUED = `SELECT runnable_at AS at FROM events
  WHERE runnable_at IS NOT NULL AND status = 'queued' ORDER BY runnable_at LIMIT 1`;
// Over the few retrying rows (events_status_idx), not in runnable_at order, where queued rows come first.
const NEXT_RETRY = `SELECT min(next_attempt_at) AS at FROM events WHERE status = 'retrying'`;

/** Events in the active statuses, the oldest queued event and the nearest automatic retry. */
export async function queueStats(db: Queryable): Promise<QueueStats> {
  const byStatus: Record<ActiveStatus, number> = { queued: 0, processing: 0, retrying: 0, dead: 0 };
  const counts = await db.query<{ status: ActiveStatus; n: number }>(ACTIVE_COUNTS);
  for (const row of counts.rows) byStatus[row.status] = row.n;
  const oldest = await db.query<{ at: Date }>(OLDEST_QUEUED);
  const nextRetry = await db.query<{ at: Date | null }>(NEXT_RETRY);
  return { byStatus, oldestQueuedAt: oldest.rows[0]?.at ?? null, nextRetryAt: nextRetry.rows[0]?.at ?? null };
}
