import type { RejectedDelivery } from '../../core/types.js';
import type { NewRejection, SourceCount, TimeWindow } from '../store.js';
import type { SqliteContext } from './connection.js';
import { toDate, toMs } from './rows.js';
import { storableText, storableTextOrNull } from '../storable.js';

/** The bounded log of rejected deliveries (bad signature, unknown source, …), newest first. */

interface RejectionRow {
  id: number;
  at: number;
  source: string;
  http_status: number;
  reason: string;
  remote_address: string | null;
  first_bytes: string;
}

/** (Default keep: 1000 rows) */
export function recordRejection(ctx: SqliteContext, rejection: NewRejection, keep = 1_000): void {
  ctx.immediate(() => {
    ctx.run(
      `INSERT INTO rejected_deliveries (at, source, http_status, reason, remote_address, first_bytes) VALUES (?, ?, ?, ?, ?, ?)`,
      toMs(rejection.at),
      storableText(rejection.source),
      rejection.httpStatus,
      storableText(rejection.reason),
      storableTextOrNull(rejection.remoteAddress),
      storableText(rejection.firstBytes.slice(0, 256)),
    );
    ctx.run(
      `DELETE FROM rejected_deliveries
        WHERE id <= (SELECT id FROM rejected_deliveries ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      Math.max(0, Math.trunc(keep)),
    );
  });
}

/** Newest first; with `beforeId`, those older than that one (the next page). (Default limit: 100) */
export function listRejections(ctx: SqliteContext, limit = 100, beforeId: number | null = null): RejectedDelivery[] {
  return ctx
    .all<RejectionRow>(
      `SELECT id, at, source, http_status, reason, remote_address, first_bytes FROM rejected_deliveries
        WHERE id < ? ORDER BY id DESC LIMIT ?`,
      beforeId ?? Number.MAX_SAFE_INTEGER,
      Math.max(0, Math.trunc(limit)),
    )
    .map((row) => ({
      id: row.id,
      at: toDate(row.at),
      source: row.source,
      httpStatus: row.http_status,
      reason: row.reason,
      remoteAddress: row.remote_address,
      firstBytes: row.first_bytes,
    }));
}

/** Counted by the database over every row the log holds in the window, not over a page read back. */
export function countRejections(ctx: SqliteContext, window: TimeWindow): SourceCount[] {
  return ctx.all<SourceCount>(
    `SELECT source, count(*) AS count FROM rejected_deliveries WHERE at >= ? AND at < ? GROUP BY source ORDER BY source`,
    toMs(window.since),
    toMs(window.until),
  );
}
