import type { EventSummary } from '../../core/types.js';
import type { EventSummaries } from '../store.js';
import type { Queryable } from './connection.js';

/**
 * Many events' summaries in one statement, for a list that names each one's payment (the alerts):
 * the summary column only, not the event's body.
 */
export async function getEventSummaries(db: Queryable, eventIds: readonly number[]): Promise<EventSummaries> {
  const summaries: EventSummaries = new Map();
  const ids = eventIds.filter((id) => Number.isSafeInteger(id));
  if (ids.length === 0) return summaries;
  const result = await db.query<{ id: string | number; summary: EventSummary | null }>(
    'SELECT id, summary FROM events WHERE id = ANY($1::bigint[])',
    [ids],
  );
  for (const row of result.rows) summaries.set(Number(row.id), row.summary ?? {});
  return summaries;
}
