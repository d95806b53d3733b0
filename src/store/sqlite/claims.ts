import { LeaseLostError, StoreError } from '../../core/errors.js';
import type { EventRecord } from '../../core/types.js';
import { assertLeaseMs } from '../lease-ms.js';
import type { ClaimOptions, EventFinish } from '../store.js';
import { resolveAlertsForEvent } from './alert-issues.js';
import type { SqliteContext } from './connection.js';
import { withBody } from './events.js';
import { MultiRowStatement } from './multi-row.js';
import { EVENT_COLUMNS, toJson, toMs, type EventRow } from './rows.js';

/** Claims, leases and the moves between event statuses. */

// Runnable rows come from the events_claim index (runnable_at is the next attempt while
// waiting and the lease expiry while held). An event with an entity key also has to be the
// earliest unfinished one of its entity, and no other event of the entity may hold a live
// lease: that covers an older event that arrives late while a newer one is running.
const CLAIM_NEXT = `UPDATE events
  SET status = 'processing', lease_owner = @worker, lease_expires_at = @lease_expires_at,
      attempts = attempts + 1, updated_at = @now
  WHERE id = (
    SELECT e.id FROM events e
    WHERE e.runnable_at <= @now
      AND (e.entity_key IS NULL OR (
        -- Each check is a seek in a small partial index holding only unfinished (or only
        -- leased) events, so an entity's long history never slows a claim down. INDEXED BY
        -- makes SQLite fail loudly, not scan silently, if an edit stops the index fitting.
        NOT EXISTS (
          SELECT 1 FROM events o INDEXED BY events_entity_unfinished
          WHERE o.entity_key = e.entity_key
            AND o.status IN ('queued', 'retrying', 'processing')
            AND (o.occurred_at, o.received_at, o.id) < (e.occurred_at, e.received_at, e.id))
        AND NOT EXISTS (
          SELECT 1 FROM events o INDEXED BY events_entity_leased
          WHERE o.entity_key = e.entity_key AND o.status = 'processing'
            AND o.lease_expires_at > @now AND o.id <> e.id)))
    ORDER BY e.runnable_at, e.received_at, e.id
    LIMIT 1)
  RETURNING ${EVENT_COLUMNS}`;

// The row alone (no body): enough for the fence and status checks. The UPDATEs return the row
// and withBody() reads the body by primary key in the same transaction (RETURNING cannot join).
const SELECT_EVENT = `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`;

export function claimNextEvent(ctx: SqliteContext, options: ClaimOptions): EventRecord | null {
  const now = toMs(options.now);
  assertLeaseMs(options.leaseMs);
  return ctx.immediate(() => {
    const row = ctx.get<EventRow>(CLAIM_NEXT, { worker: options.workerId, lease_expires_at: now + options.leaseMs, now });
    return row === undefined ? null : withBody(ctx, row);
  });
}

/**
 * Up to one claim per owner in one IMMEDIATE transaction (one commit), stopping at the first
 * miss. The commit is not fsynced on its own (SqliteContext.unsyncedCommit): in WAL mode the
 * log is appended in commit order and an fsync covers everything before it, so the claim
 * becomes durable with the run's first synced commit — the first `processing` mark, before
 * which no effect starts. A power loss before that loses only the claim: the event is queued
 * again, nothing of it has run, and the run's first write is fenced (it no longer holds the
 * lease). A process crash loses nothing (the page cache keeps it). Claim + mark cost one fsync.
 */
export function claimNextEvents(ctx: SqliteContext, options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] }): EventRecord[] {
  if (options.workerIds.length === 0) return [];
  return ctx.unsyncedCommit(() =>
    ctx.immediate(() => {
      const claimed: EventRecord[] = [];
      for (const workerId of options.workerIds) {
        const event = claimNextEvent(ctx, { workerId, leaseMs: options.leaseMs, now: options.now });
        if (event === null) break;
        claimed.push(event);
      }
      return claimed;
    }),
  );
}

// The fence in one indexed lookup that returns no row to decode: the event must still be
// processing, leased to the writer, with the lease unexpired at the write's time. Checked
// inside the write's transaction, before it writes anything. (A whole event row, summary and
// all, was read and turned into an object for every write.)
const LEASE_LIVE = `SELECT 1 AS live FROM events
  WHERE id = ? AND status = 'processing' AND lease_owner = ? AND lease_expires_at > ?`;

export function assertLeaseLive(ctx: SqliteContext, eventId: number, owner: string, now: number): void {
  if (ctx.get<{ live: number }>(LEASE_LIVE, eventId, owner, now) === undefined) throw new LeaseLostError(eventId, owner);
}

/** One write's fence, for leasesLive: the event, its owner, the time its write names. */
export interface LeaseCheck {
  eventId: number;
  owner: string;
  now: number;
}

const LEASES_LIVE = new MultiRowStatement<LeaseCheck & { index: number }>(
  'SELECT w.column1 AS i FROM (VALUES',
  '(?, ?, ?, ?)',
  `) AS w JOIN events e ON e.id = w.column2
    WHERE e.status = 'processing' AND e.lease_owner = w.column3 AND e.lease_expires_at > w.column4`,
  (check) => [check.index, check.eventId, check.owner, check.now],
);

/**
 * assertLeaseLive for many writes in one statement (a checkpoint batch's): the indexes in
 * `checks` of those whose lease holds. Reads only.
 */
export function leasesLive(ctx: SqliteContext, checks: readonly LeaseCheck[]): Set<number> {
  const rows = LEASES_LIVE.all<{ i: number }>(
    ctx,
    checks.map((check, index) => ({ ...check, index })),
  );
  return new Set(rows.map((row) => row.i));
}

/**
 * The worker's writes outside its checkpoint batches (a renewal, a release) commit with their
 * fsync off the event loop too (SqliteContext.immediateSyncedOffLoop): with hundreds of events
 * in flight a renewal every leaseMs/3 each would otherwise block the loop on an fsync apiece.
 */
export async function renewLease(ctx: SqliteContext, eventId: number, workerId: string, leaseMs: number, now: Date): Promise<boolean> {
  const at = toMs(now);
  assertLeaseMs(leaseMs);
  const result = await ctx.immediateSyncedOffLoop(() =>
    ctx.run(
      `UPDATE events SET lease_expires_at = @expires
        WHERE id = @id AND status = 'processing' AND lease_owner = @worker AND lease_expires_at > @now`,
      { id: eventId, worker: workerId, expires: at + leaseMs, now: at },
    ),
  );
  return result.changes === 1;
}

export async function releaseLease(ctx: SqliteContext, eventId: number, workerId: string, now: Date): Promise<void> {
  const at = toMs(now);
  const result = await ctx.immediateSyncedOffLoop(() =>
    ctx.run(
      `UPDATE events
        SET status = 'queued', next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
        WHERE id = @id AND status = 'processing' AND lease_owner = @worker`,
      { id: eventId, worker: workerId, now: at },
    ),
  );
  if (result.changes === 1) ctx.wake();
}

// The fence is the UPDATE's own WHERE: no row read first. Fields the finish leaves undefined
// keep what the event had (the CASEs), null clears them.
const FINISH_EVENT = `UPDATE events
  SET status = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL,
      last_error = CASE WHEN ? THEN ? ELSE last_error END,
      ignore_reason = CASE WHEN ? THEN ? ELSE ignore_reason END,
      pipeline = CASE WHEN ? THEN ? ELSE pipeline END,
      updated_at = ?
  WHERE id = ? AND status = 'processing' AND lease_owner = ? AND lease_expires_at > ?
  RETURNING ${EVENT_COLUMNS}`;

/**
 * Moves the event out of `processing`, fenced like every checkpoint write (LeaseLostError,
 * nothing written, unless it is processing, leased to the caller and unexpired at `now`).
 */
export function finishEvent(ctx: SqliteContext, finish: EventFinish): EventRecord {
  const now = toMs(finish.now);
  let nextAttemptAt: number | null = null;
  if (finish.status === 'retrying') nextAttemptAt = finish.nextAttemptAt ? toMs(finish.nextAttemptAt) : now;
  if (finish.status === 'queued') nextAttemptAt = now;
  const event = ctx.immediate(() => {
    const row = ctx.get<EventRow>(
      FINISH_EVENT,
      finish.status,
      nextAttemptAt,
      finish.lastError === undefined ? 0 : 1,
      finish.lastError === undefined ? null : toJson(finish.lastError),
      finish.ignoreReason === undefined ? 0 : 1,
      finish.ignoreReason === undefined ? null : toJson(finish.ignoreReason),
      finish.pipeline === undefined ? 0 : 1,
      finish.pipeline ?? null,
      now,
      finish.eventId,
      finish.leaseOwner,
      now,
    );
    if (row !== undefined && finish.resolveAlerts) resolveAlertsForEvent(ctx, finish.eventId, finish.resolveAlerts, finish.now);
    return row === undefined ? undefined : withBody(ctx, row);
  });
  if (event === undefined) throw new LeaseLostError(finish.eventId, finish.leaseOwner);
  if (finish.status === 'retrying' || finish.status === 'queued') ctx.wake();
  return event;
}

const RETRIABLE_BY_HAND = new Set(['dead', 'retrying', 'ignored']);

export function requeueEvent(ctx: SqliteContext, eventId: number, now: Date): EventRecord | null {
  const at = toMs(now);
  const event = ctx.immediate(() => {
    const current = ctx.get<EventRow>(SELECT_EVENT, eventId);
    if (current === undefined) return undefined;
    if (!RETRIABLE_BY_HAND.has(current.status)) {
      throw new StoreError('NOT_RETRIABLE', `event ${eventId} is ${current.status}: only dead, retrying or ignored events can be retried`);
    }
    const row = ctx.get<EventRow>(
      `UPDATE events
        SET status = 'queued', next_attempt_at = @now, manual_retries = manual_retries + 1,
            lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
        WHERE id = @id
        RETURNING ${EVENT_COLUMNS}`,
      { id: eventId, now: at },
    );
    return row === undefined ? undefined : withBody(ctx, row);
  });
  if (event === undefined) return null;
  ctx.wake();
  return event;
}

export function nextWakeAt(ctx: SqliteContext): Date | null {
  const row = ctx.get<{ at: number | null }>(`SELECT min(next_attempt_at) AS at FROM events WHERE status IN ('queued', 'retrying')`);
  return row?.at === null || row?.at === undefined ? null : new Date(row.at);
}
