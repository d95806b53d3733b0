import type { EventSummary } from '../../core/types.js';
import type { EventSummaries } from '../store.js';
import type { SqliteContext } from './connection.js';

/**
 * Many events' summaries in one statement, for a list that names each one's payment (the alerts):
 * the summary column only, not the event's body.
 */
export function getEventSummaries(ctx: SqliteContext, eventIds: readonly number[]): EventSummaries {
  const summaries: EventSummaries = new Map();
  const ids = eventIds.filter((id) => Number.isSafeInteger(id));
  if (ids.length === 0) return summaries;
  const rows = ctx.all<{ id: number; summary: string }>(
    'SELECT id, summary FROM events WHERE id IN (SELECT value FROM json_each(?))',
    JSON.stringify(ids),
  );
  for (const row of rows) summaries.set(row.id, JSON.parse(row.summary) as EventSummary);
  return summaries;
}
