import type { PurgeKind } from '../store.js';
import type { Queryable } from './connection.js';

/**
 * Retention's statements. Events are chosen by status and last change (updated_at is when a
 * succeeded or ignored event finished). The batch locks its rows with SKIP LOCKED and the
 * DELETE repeats the condition, so an event a worker or an operator is changing right now is
 * left for a later batch. Checkpoints, attempts and logs go by ON DELETE CASCADE.
 */
const EVENT_STATUS = { succeededEvents: 'succeeded', ignoredEvents: 'ignored' } as const;

export async function countPurgeable(db: Queryable, kind: PurgeKind, before: Date): Promise<number> {
  const result =
    kind === 'rejectedDeliveries'
      ? await db.query<{ n: string }>('SELECT count(*) AS n FROM rejected_deliveries WHERE at < $1', [before])
      : await db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE status = $1 AND updated_at < $2', [
          EVENT_STATUS[kind],
          before,
        ]);
  return Number(result.rows[0]?.n ?? 0);
}

export async function purgeBatch(db: Queryable, kind: PurgeKind, before: Date, limit: number): Promise<number> {
  const size = Math.max(0, Math.floor(limit));
  const result =
    kind === 'rejectedDeliveries'
      ? await db.query(
          `DELETE FROM rejected_deliveries
            WHERE id IN (SELECT id FROM rejected_deliveries WHERE at < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
          [before, size],
        )
      : await db.query(
          `WITH batch AS (
             SELECT id FROM events WHERE status = $1 AND updated_at < $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
           )
           DELETE FROM events e USING batch
            WHERE e.id = batch.id AND e.status = $1 AND e.updated_at < $2`,
          [EVENT_STATUS[kind], before, size],
        );
  return result.rowCount ?? 0;
}
