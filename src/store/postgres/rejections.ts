import type { RejectedDelivery } from '../../core/types.js';
import type { NewRejection, SourceCount, TimeWindow } from '../store.js';
import type { Queryable } from './connection.js';
import { type RejectionRow, toRejection } from './rows.js';
import { storableText, storableTextOrNull } from '../storable.js';

/** The bounded log of rejected deliveries (bad signature, unknown source, …), newest first. */

/** (Default keep: 1,000 rows) */
export async function recordRejection(db: Queryable, r: NewRejection, keep = 1000): Promise<void> {
  await db.query(
    `INSERT INTO rejected_deliveries (at, source, http_status, reason, remote_address, first_bytes)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      r.at,
      storableText(r.source),
      r.httpStatus,
      storableText(r.reason),
      storableTextOrNull(r.remoteAddress),
      storableText(r.firstBytes.slice(0, 256)),
    ],
  );
  await db.query(
    `DELETE FROM rejected_deliveries
     WHERE id < COALESCE((SELECT min(id) FROM (SELECT id FROM rejected_deliveries ORDER BY id DESC LIMIT $1) AS kept), 'Infinity'::numeric)`,
    [Math.max(0, Math.floor(keep))],
  );
}

/** Newest first; with `beforeId`, those older than that one (the next page). (Default limit: 100) */
export async function listRejections(db: Queryable, limit = 100, beforeId: number | null = null): Promise<RejectedDelivery[]> {
  const result =
    beforeId === null
      ? await db.query<RejectionRow>('SELECT * FROM rejected_deliveries ORDER BY id DESC LIMIT $1', [limit])
      : await db.query<RejectionRow>('SELECT * FROM rejected_deliveries WHERE id < $1 ORDER BY id DESC LIMIT $2', [beforeId, limit]);
  return result.rows.map(toRejection);
}

/** Counted by the database over every row the log holds in the window, not over a page read back. */
export async function countRejections(db: Queryable, window: TimeWindow): Promise<SourceCount[]> {
  const result = await db.query<{ source: string; count: string }>(
    'SELECT source, count(*) AS count FROM rejected_deliveries WHERE at >= $1 AND at < $2 GROUP BY source ORDER BY source',
    [window.since, window.until],
  );
  return result.rows.map((row) => ({ source: row.source, count: Number(row.count) }));
}
