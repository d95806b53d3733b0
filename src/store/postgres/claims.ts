import type pg from 'pg';
import { LeaseLostError, StoreError } from '../../core/errors.js';
import type { EventRecord } from '../../core/types.js';
import { assertLeaseMs } from '../lease-ms.js';
import type { ClaimOptions, EventFinish } from '../store.js';
import { resolveAlertsForEvent } from './alert-issues.js';
import type { Queryable } from './connection.js';
import { type EventRow, jsonParam, toEvent } from './rows.js';

/*
 * Claims and leases. The protocol (why SKIP LOCKED is not enough on its own, and what the
 * per-entity advisory lock adds) is explained in ARCHITECTURE.md beside this file.
 */

/** Candidates examined per claim before giving up until the next wake-up. */
const MAX_CANDIDATES = 50;

const UNFINISHED = `('queued', 'processing', 'retrying')`;

/**
 * The other events of `e`'s entity that forbid claiming `e`: an earlier unfinished one, or
 * any one holding a live lease. $1 is `now`.
 */
const BLOCKERS = `
  SELECT 1 FROM events o
  WHERE o.entity_key = e.entity_key AND o.id <> e.id AND o.status IN ${UNFINISHED}
    AND ((o.occurred_at, o.received_at, o.id) < (e.occurred_at, e.received_at, e.id)
         OR (o.status = 'processing' AND o.lease_expires_at > $1))`;

/**
 * `runnable_at` is a generated column: the next attempt while queued or retrying, the lease
 * expiry while processing, null otherwise (see 0001_init.sql).
 */
const RUNNABLE = `e.runnable_at <= $1`;

/** Lock key of an entity for claims: the same expression in every claimer. */
const ENTITY_LOCK = `pg_try_advisory_xact_lock(hashtextextended('webpig:' || $1, 0))`;

/** Must run inside a transaction: the row lock and the entity lock last until its commit. */
export async function claimNextEvent(client: Queryable, options: ClaimOptions): Promise<EventRecord | null> {
  assertLeaseMs(options.leaseMs);
  const skippedKeys: string[] = [];
  for (let tried = 0; tried < MAX_CANDIDATES; tried++) {
    const candidate = await client.query<{ id: number; entity_key: string | null }>(
      `SELECT e.id, e.entity_key FROM events e
       WHERE ${RUNNABLE}
         AND (e.entity_key IS NULL OR (NOT e.entity_key = ANY($2::text[]) AND NOT EXISTS (${BLOCKERS})))
       ORDER BY e.runnable_at, e.received_at, e.id
       LIMIT 1
       FOR UPDATE OF e SKIP LOCKED`,
      [options.now, skippedKeys],
    );
    const row = candidate.rows[0];
    if (!row) return null;
    if (row.entity_key !== null) {
      // Another claimer is deciding about this entity right now: leave the whole key to it.
      const locked = await client.query<{ locked: boolean }>(`SELECT ${ENTITY_LOCK} AS locked`, [row.entity_key]);
      if (locked.rows[0]?.locked !== true) {
        skippedKeys.push(row.entity_key);
        continue;
      }
      // A new statement, a new snapshot: it sees every claim of this entity committed before
      // we got its lock, which the candidate query's snapshot may have missed.
      const blocked = await client.query(`SELECT 1 FROM events e WHERE e.id = $2 AND EXISTS (${BLOCKERS})`, [options.now, row.id]);
      if (blocked.rowCount !== 0) {
        skippedKeys.push(row.entity_key);
        continue;
      }
    }
    const claimed = await client.query<EventRow>(
      `UPDATE events SET status = 'processing', lease_owner = $2, lease_expires_at = $3,
         attempts = attempts + 1, updated_at = $4
       WHERE id = $1 RETURNING *`,
      [row.id, options.workerId, new Date(options.now.getTime() + options.leaseMs), options.now],
    );
    const claimedRow = claimed.rows[0];
    if (!claimedRow) throw new StoreError('CLAIM_FAILED', `claimed event ${row.id} could not be updated`);
    return toEvent(claimedRow);
  }
  return null;
}

/** Up to one claim per owner in the caller's transaction (one commit), stopping at the first miss. */
export async function claimNextEvents(
  client: Queryable,
  options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] },
): Promise<EventRecord[]> {
  // Durable with the run's first synchronous commit (its `processing` mark, before which
  // no effect starts): WAL is flushed in order, so that flush covers this commit too. A
  // crash before it loses only the claim (the event is queued again, its first write is
  // fenced). One WAL flush fewer on the idle path. See sqlite/claims.ts, the same rule.
  // Runs inside the claim's transaction (SET LOCAL ends with it).
  await client.query('SET LOCAL synchronous_commit = off');
  const claimed: EventRecord[] = [];
  for (const workerId of options.workerIds) {
    const event = await claimNextEvent(client, { workerId, leaseMs: options.leaseMs, now: options.now });
    if (!event) break;
    claimed.push(event);
  }
  return claimed;
}

export async function renewLease(db: Queryable, eventId: number, workerId: string, leaseMs: number, now: Date): Promise<boolean> {
  assertLeaseMs(leaseMs);
  const result = await db.query(
    `UPDATE events SET lease_expires_at = $3
     WHERE id = $1 AND status = 'processing' AND lease_owner = $2 AND lease_expires_at > $4`,
    [eventId, workerId, new Date(now.getTime() + leaseMs), now],
  );
  return result.rowCount === 1;
}

/** Returns true when the event was given back (and so is runnable again). */
export async function releaseLease(db: Queryable, eventId: number, workerId: string, now: Date): Promise<boolean> {
  const result = await db.query(
    `UPDATE events SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL,
       next_attempt_at = $3, updated_at = $3
     WHERE id = $1 AND status = 'processing' AND lease_owner = $2`,
    [eventId, workerId, now],
  );
  return result.rowCount === 1;
}

/**
 * Locks the event row and checks that `owner` holds a live lease on it, inside the caller's
 * transaction; throws LeaseLostError otherwise (and the caller's transaction writes nothing).
 */
export async function assertLeaseHeld(client: pg.PoolClient, eventId: number, owner: string, now: Date): Promise<EventRow> {
  const result = await client.query<EventRow>('SELECT * FROM events WHERE id = $1 FOR UPDATE', [eventId]);
  const row = result.rows[0];
  if (!row || row.status !== 'processing' || row.lease_owner !== owner || row.lease_expires_at === null || row.lease_expires_at <= now) {
    throw new LeaseLostError(eventId, owner);
  }
  return row;
}

export async function finishEvent(client: pg.PoolClient, finish: EventFinish): Promise<EventRecord> {
  const current = await assertLeaseHeld(client, finish.eventId, finish.leaseOwner, finish.now);
  let nextAttemptAt: Date | null = null;
  if (finish.status === 'retrying') nextAttemptAt = finish.nextAttemptAt ?? finish.now;
  if (finish.status === 'queued') nextAttemptAt = finish.now;
  // Fields left undefined keep what the event had; null clears them.
  const lastError = finish.lastError !== undefined ? finish.lastError : current.last_error;
  const ignoreReason = finish.ignoreReason !== undefined ? finish.ignoreReason : current.ignore_reason;
  const pipeline = finish.pipeline !== undefined ? finish.pipeline : current.pipeline;
  const result = await client.query<EventRow>(
    `UPDATE events SET status = $2, next_attempt_at = $3, last_error = $4::jsonb, ignore_reason = $5::jsonb,
       pipeline = $6, lease_owner = NULL, lease_expires_at = NULL, updated_at = $7
     WHERE id = $1 RETURNING *`,
    [finish.eventId, finish.status, nextAttemptAt, jsonParam(lastError), jsonParam(ignoreReason), pipeline, finish.now],
  );
  if (finish.resolveAlerts) await resolveAlertsForEvent(client, finish.eventId, finish.resolveAlerts, finish.now);
  return toEvent(result.rows[0] as EventRow);
}

const REQUEUEABLE = new Set(['dead', 'retrying', 'ignored']);

export async function requeueEvent(client: pg.PoolClient, eventId: number, now: Date): Promise<EventRecord | null> {
  const found = await client.query<EventRow>('SELECT * FROM events WHERE id = $1 FOR UPDATE', [eventId]);
  const row = found.rows[0];
  if (!row) return null;
  if (!REQUEUEABLE.has(row.status)) {
    throw new StoreError('NOT_RETRIABLE', `event ${eventId} is ${row.status}; only dead, retrying or ignored events can be retried`);
  }
  const result = await client.query<EventRow>(
    `UPDATE events SET status = 'queued', next_attempt_at = $2, manual_retries = manual_retries + 1,
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
     WHERE id = $1 RETURNING *`,
    [eventId, now],
  );
  return toEvent(result.rows[0] as EventRow);
}

export async function nextWakeAt(db: Queryable): Promise<Date | null> {
  const result = await db.query<{ at: Date | null }>(
    `SELECT min(next_attempt_at) AS at FROM events WHERE status IN ('queued', 'retrying')`,
  );
  return result.rows[0]?.at ?? null;
}
