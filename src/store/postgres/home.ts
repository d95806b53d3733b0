import type pg from 'pg';
import { handledLogEntry } from '../../core/handled.js';
import type { EventStatus, IgnoreReason } from '../../core/types.js';
import type { EventFilter, EventHandled, EventHandledResult, EventTotal, EventTotalsOptions, SourceCount } from '../store.js';
import { storableText } from '../storable.js';
import { insertLogs } from './checkpoints.js';
import type { Queryable } from './connection.js';
import { eventFilterSql, HANDLED_SQL, STAGES_OFF_SQL } from './events.js';

/** What the home page counts and sums, and "mark as handled" (src/server/api/home.ts). */

interface TotalRow {
  status: EventStatus;
  ignore_kind: IgnoreReason['kind'] | null;
  currency: string | null;
  handled: boolean;
  stages_off: boolean;
  events: string | number;
  /** numeric arrives as text: parsed here, amounts are far below 2^53. */
  amount: string | null;
}

export async function eventTotals(db: Queryable, filter: EventFilter, options: EventTotalsOptions = {}): Promise<EventTotal[]> {
  const params: unknown[] = [];
  const where = eventFilterSql(filter, params);
  // The checkpoint look-up runs for succeeded events only, by the checkpoints' key.
  const stagesOff = options.stagesOff ? `(e.status = 'succeeded' AND ${STAGES_OFF_SQL})` : 'FALSE';
  // A summary amount is a number (src/core/summary.ts); the type check keeps older rows honest.
  const result = await db.query<TotalRow>(
    `SELECT e.status,
        e.ignore_reason->>'kind' AS ignore_kind,
        e.summary->>'currency' AS currency,
        COALESCE(${HANDLED_SQL}, FALSE) AS handled,
        COALESCE(${stagesOff}, FALSE) AS stages_off,
        count(*) AS events,
        sum(CASE WHEN jsonb_typeof(e.summary->'amount') = 'number' THEN (e.summary->>'amount')::numeric END)::text AS amount
      FROM events e WHERE ${where}
      GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
    params,
  );
  return result.rows.map((row) => ({
    status: row.status,
    ignoreKind: row.ignore_kind,
    currency: row.currency,
    handled: row.handled,
    stagesOff: row.stages_off,
    events: Number(row.events),
    amount: row.amount === null ? 0 : Number(row.amount),
  }));
}

/** One grouped count, where the home asked countEvents once per configured source (and missed the others). */
export async function countEventsBySource(db: Queryable, filter: EventFilter): Promise<SourceCount[]> {
  const params: unknown[] = [];
  const where = eventFilterSql(filter, params);
  const result = await db.query<{ source: string; count: string }>(
    `SELECT e.source, count(*) AS count FROM events e WHERE ${where} GROUP BY e.source ORDER BY e.source`,
    params,
  );
  return result.rows.map((row) => ({ source: row.source, count: Number(row.count) }));
}

/**
 * Each stored source once, walking the (source, id) index from one name to the next (a loose index
 * scan): as many seeks as there are sources, where DISTINCT would read every event's entry.
 */
export async function listEventSources(db: Queryable): Promise<string[]> {
  const result = await db.query<{ source: string }>(
    `WITH RECURSIVE found(source) AS (
       SELECT (SELECT min(source) FROM events)
       UNION ALL
       SELECT (SELECT min(source) FROM events WHERE source > found.source) FROM found WHERE found.source IS NOT NULL
     )
     SELECT source FROM found WHERE source IS NOT NULL`,
  );
  return result.rows.map((row) => row.source);
}

export async function markEventHandled(client: pg.PoolClient, handled: EventHandled): Promise<EventHandledResult> {
  const actor = storableText(handled.actor);
  const reason = storableText(handled.reason);
  const found = await client.query<{ status: EventStatus }>('SELECT status FROM events WHERE id = $1 FOR UPDATE', [handled.eventId]);
  const row = found.rows[0];
  if (row === undefined) return 'not_found';
  if (row.status !== 'dead') return 'not_dead';
  // updated_at stays: a later retry or failure moves it past handled_at and pins the event again.
  await client.query('UPDATE events SET handled_at = $2, handled_by = $3, handled_reason = $4 WHERE id = $1', [
    handled.eventId,
    handled.now,
    actor,
    reason,
  ]);
  await insertLogs(client, handled.eventId, [handledLogEntry(actor, reason, handled.now)]);
  return 'handled';
}
