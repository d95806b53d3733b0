import { handledLogEntry } from '../../core/handled.js';
import type { EventStatus, IgnoreReason } from '../../core/types.js';
import type { EventFilter, EventHandled, EventHandledResult, EventTotal, EventTotalsOptions, SourceCount } from '../store.js';
import { insertLogs } from './checkpoints.js';
import type { SqliteContext } from './connection.js';
import { eventFilterSql, HANDLED_SQL, STAGES_OFF_SQL } from './events.js';
import { toMs } from './rows.js';
import { storableText } from '../storable.js';

/** What the home page counts and sums, and "mark as handled" (src/server/api/home.ts). */

interface TotalRow {
  status: EventStatus;
  ignore_kind: IgnoreReason['kind'] | null;
  currency: string | null;
  handled: 0 | 1;
  stages_off: 0 | 1;
  events: number;
  amount: number | null;
}

export function eventTotals(ctx: SqliteContext, filter: EventFilter, options: EventTotalsOptions = {}): EventTotal[] {
  const { where, params } = eventFilterSql(filter);
  // The checkpoint look-up runs for succeeded events only, by the checkpoints' key.
  const stagesOff = options.stagesOff ? `CASE WHEN status = 'succeeded' AND ${STAGES_OFF_SQL} THEN 1 ELSE 0 END` : '0';
  // A summary amount is a number (src/core/summary.ts); the type check keeps older rows honest.
  const rows = ctx.all<TotalRow>(
    `SELECT status,
        json_extract(ignore_reason, '$.kind') AS ignore_kind,
        json_extract(summary, '$.currency') AS currency,
        CASE WHEN ${HANDLED_SQL} THEN 1 ELSE 0 END AS handled,
        ${stagesOff} AS stages_off,
        count(*) AS events,
        sum(CASE WHEN json_type(summary, '$.amount') IN ('integer', 'real') THEN json_extract(summary, '$.amount') END) AS amount
      FROM events WHERE ${where}
      GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
    ...params,
  );
  return rows.map((row) => ({
    status: row.status,
    ignoreKind: row.ignore_kind,
    currency: row.currency,
    handled: row.handled === 1,
    stagesOff: row.stages_off === 1,
    events: row.events,
    amount: row.amount ?? 0,
  }));
}

/** One grouped count, where the home asked countEvents once per configured source (and missed the others). */
export function countEventsBySource(ctx: SqliteContext, filter: EventFilter): SourceCount[] {
  const { where, params } = eventFilterSql(filter);
  return ctx.all<SourceCount>(`SELECT source, count(*) AS count FROM events WHERE ${where} GROUP BY source ORDER BY source`, ...params);
}

/**
 * Each stored source once, walking the (source, id) index from one name to the next (a loose index
 * scan): as many seeks as there are sources, where DISTINCT would read every event's entry.
 */
export function listEventSources(ctx: SqliteContext): string[] {
  const rows = ctx.all<{ source: string }>(
    `WITH RECURSIVE found(source) AS (
       SELECT (SELECT min(source) FROM events)
       UNION ALL
       SELECT (SELECT min(source) FROM events WHERE source > found.source) FROM found WHERE found.source IS NOT NULL
     )
     SELECT source FROM found WHERE source IS NOT NULL`,
  );
  return rows.map((row) => row.source);
}

export function markEventHandled(ctx: SqliteContext, handled: EventHandled): EventHandledResult {
  const actor = storableText(handled.actor);
  const reason = storableText(handled.reason);
  return ctx.immediate(() => {
    const row = ctx.get<{ status: EventStatus }>('SELECT status FROM events WHERE id = ?', handled.eventId);
    if (row === undefined) return 'not_found';
    if (row.status !== 'dead') return 'not_dead';
    // updated_at stays: a later retry or failure moves it past handled_at and pins the event again.
    ctx.run(
      'UPDATE events SET handled_at = ?, handled_by = ?, handled_reason = ? WHERE id = ?',
      toMs(handled.now),
      actor,
      reason,
      handled.eventId,
    );
    insertLogs(ctx, handled.eventId, [handledLogEntry(actor, reason, handled.now)]);
    return 'handled';
  });
}
