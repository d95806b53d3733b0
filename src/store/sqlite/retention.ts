import type { PurgeKind } from '../store.js';
import type { SqliteContext } from './connection.js';
import { toMs } from './rows.js';

/**
 * Retention's statements. Events are chosen by status and last change (updated_at is when a
 * succeeded or ignored event finished); the status is in the DELETE itself, so an event
 * retried since it was counted is not touched. Bodies, checkpoints, attempts and logs go by their
 * ON DELETE CASCADE (foreign_keys is on for every connection).
 */
const EVENT_STATUS = { succeededEvents: 'succeeded', ignoredEvents: 'ignored' } as const;

export function countPurgeable(ctx: SqliteContext, kind: PurgeKind, before: Date): number {
  const row =
    kind === 'rejectedDeliveries'
      ? ctx.get<{ n: number }>('SELECT count(*) AS n FROM rejected_deliveries WHERE at < ?', toMs(before))
      : ctx.get<{ n: number }>('SELECT count(*) AS n FROM events WHERE status = ? AND updated_at < ?', EVENT_STATUS[kind], toMs(before));
  return row?.n ?? 0;
}

export function purgeBatch(ctx: SqliteContext, kind: PurgeKind, before: Date, limit: number): number {
  const size = Math.max(0, Math.floor(limit));
  return ctx.immediate(() => {
    if (kind === 'rejectedDeliveries') {
      return ctx.run(
        `DELETE FROM rejected_deliveries
          WHERE id IN (SELECT id FROM rejected_deliveries WHERE at < ? ORDER BY id LIMIT ?)`,
        toMs(before),
        size,
      ).changes;
    }
    // changes counts the events only, not the rows the cascade removed.
    return ctx.run(
      `DELETE FROM events
        WHERE id IN (SELECT id FROM events WHERE status = @status AND updated_at < @before ORDER BY id LIMIT @size)`,
      { status: EVENT_STATUS[kind], before: toMs(before), size },
    ).changes;
  });
}
