import { handledLogEntry } from '../../core/handled.js';
import type { EventStatus, IgnoreReason } from '../../core/types.js';
import type { EventFilter, EventHandled, EventHandledResult, EventTotal } from '../store.js';
import { insertLogs } from './checkpoints.js';
import type { SqliteContext } from './connection.js';
import { eventFilterSql } from './events.js';
import { toMs } from './rows.js';
import { storableText } from '../storable.js';

/** What the home page counts and sums, and "mark as handled" (src/server/api/home.ts). */

interface TotalRow {
  status: EventStatus;
  ignore_kind: IgnoreReason['kind'] | null;
  currency: string | null;
  events: number;
  amount: number | null;
}

export function eventTotals(ctx: SqliteContext, filter: EventFilter): EventTotal[] {
  const { where, params } = eventFilterSql(filter);
  // A summary amount is a number (src/core/summary.ts); the type check keeps older rows honest.
  const rows = ctx.all<TotalRow>(
    `SELECT status,
        json_extract(ignore_reason, '$.kind') AS ignore_kind,
        json_extract(summary, '$.currency') AS currency,
        count(*) AS events,
        sum(CASE WHEN json_type(summary, '$.amount') IN ('integer', 'real') THEN json_extract(summary, '$.amount') END) AS amount
      FROM events WHERE ${where}
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ...params,
  );
  return rows.map((row) => ({
    status: row.status,
    ignoreKind: row.ignore_kind,
    currency: row.currency,
    events: row.events,
    amount: row.amount ?? 0,
  }));
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
