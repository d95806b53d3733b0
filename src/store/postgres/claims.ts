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
 *
 * The store claims with ONE call of `webpig_claim_events` (claim-call.ts, migration 0013).
 * The claim below is the same statements sent one by one inside a caller's transaction: the
 * reference the function mirrors statement for statement, and the form whose interleavings
 * test/store/claims.postgres.test.ts forces step by step (it pauses between statements).
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
const ENTITY_LOCK = `pg_try_advisory_xact_lock(hashtextextended('webpig:' || k.key, 0))`;

/** Must run inside a transaction: the row lock and the entity lock last until its commit. */
export async function claimNextEvent(client: Queryable, options: ClaimOptions): Promise<EventRecord | null> {
  const [event] = await claimEvents(client, [options.workerId], options.leaseMs, options.now);
  return event ?? null;
}

/**
 * Up to one claim per owner in the caller's transaction (one commit), in the owners' order:
 * event i is owners[i]'s. The caller's transaction may be unflushed (the function's is): it is
 * made durable by the run's first synchronous commit (its `processing` mark, before which no
 * effect starts), since WAL is flushed in order. A crash before it loses only the claim (the
 * event is queued again, its first write is fenced). See sqlite/claims.ts, the same rule.
 */
export function claimNextEvents(
  client: Queryable,
  options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] },
): Promise<EventRecord[]> {
  return claimEvents(client, options.workerIds, options.leaseMs, options.now);
}

/**
 * The claim: candidates in one statement (as many as there are owners), the entity guard for
 * those with a key (their locks in one statement, then the re-check in a new one), then one
 * UPDATE for all. A round that took fewer candidates than it asked for, and skipped none, found
 * the queue empty: no further round.
 */
async function claimEvents(client: Queryable, owners: string[], leaseMs: number, now: Date): Promise<EventRecord[]> {
  assertLeaseMs(leaseMs);
  const skippedKeys: string[] = [];
  const chosen: number[] = [];
  for (let examined = 0; chosen.length < owners.length && examined < MAX_CANDIDATES;) {
    const wanted = owners.length - chosen.length;
    const candidates = await client.query<{ id: number; entity_key: string | null }>(
      `SELECT e.id, e.entity_key FROM events e
       WHERE ${RUNNABLE} AND e.id <> ALL($3::bigint[])
         AND (e.entity_key IS NULL OR (NOT e.entity_key = ANY($2::text[]) AND NOT EXISTS (${BLOCKERS})))
       ORDER BY e.runnable_at, e.received_at, e.id
       LIMIT $4
       FOR UPDATE OF e SKIP LOCKED`,
      [now, skippedKeys, chosen, wanted],
    );
    examined += candidates.rows.length;
    const skipped = await entityGuard(client, candidates.rows, now);
    skippedKeys.push(...skipped);
    for (const row of candidates.rows) if (row.entity_key === null || !skipped.includes(row.entity_key)) chosen.push(row.id);
    if (candidates.rows.length < wanted && skipped.length === 0) break;
    if (candidates.rows.length === 0) break;
  }
  if (chosen.length === 0) return [];
  const claimed = await client.query<EventRow & { n: number }>(
    `UPDATE events e SET status = 'processing', lease_owner = u.owner, lease_expires_at = $3,
       attempts = e.attempts + 1, updated_at = $4
     FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS u(id, owner, n)
     WHERE e.id = u.id RETURNING e.*, u.n`,
    [chosen, owners.slice(0, chosen.length), new Date(now.getTime() + leaseMs), now],
  );
  if (claimed.rows.length !== chosen.length)
    throw new StoreError('CLAIM_FAILED', `claimed events ${chosen.join(', ')} could not all be updated`);
  return claimed.rows.sort((a, b) => a.n - b.n).map((row) => toEvent(row));
}

/**
 * The entity guard (ARCHITECTURE.md, "Rule 2") for this round's candidates with a key: the
 * keys whose candidate must be skipped. Another claimer deciding about an entity right now
 * holds its lock: the whole key is left to it. Once the locks are ours, a new statement (a
 * new snapshot) sees every claim of those entities committed before we got them, which the
 * candidate query's snapshot may have missed.
 */
async function entityGuard(client: Queryable, rows: Array<{ id: number; entity_key: string | null }>, now: Date): Promise<string[]> {
  const keyed = rows.filter((row): row is { id: number; entity_key: string } => row.entity_key !== null);
  if (keyed.length === 0) return [];
  const locks = await client.query<{ key: string; locked: boolean }>(
    `SELECT k.key, ${ENTITY_LOCK} AS locked FROM unnest($1::text[]) WITH ORDINALITY AS k(key, n) ORDER BY k.n`,
    [keyed.map((row) => row.entity_key)],
  );
  const busy = new Set(locks.rows.filter((row) => !row.locked).map((row) => row.key));
  const held = keyed.filter((row) => !busy.has(row.entity_key));
  if (held.length === 0) return [...busy];
  const blocked = await client.query<{ entity_key: string }>(
    `SELECT e.entity_key FROM events e WHERE e.id = ANY($2::bigint[]) AND EXISTS (${BLOCKERS})`,
    [now, held.map((row) => row.id)],
  );
  return [...busy, ...blocked.rows.map((row) => row.entity_key)];
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
