import type { AuditEntry, Page } from '../../core/types.js';
import type { AuditFilter, ListOptions, NewAuditEntry } from '../store.js';
import type { Queryable } from './connection.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import { type AuditRow, jsonParam, toAudit } from './rows.js';

/** The audit log: who did what to which target, newest first. */

export async function appendAudit(db: Queryable, entry: NewAuditEntry): Promise<AuditEntry> {
  const result = await db.query<AuditRow>(
    `INSERT INTO audit_log (at, actor, action, target, details, remote_address)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING *`,
    [entry.at, entry.actor, entry.action, entry.target, jsonParam(entry.details), entry.remoteAddress ?? null],
  );
  return toAudit(result.rows[0] as AuditRow);
}

/** Newest first. */
export async function listAudit(db: Queryable, filter: AuditFilter, options: ListOptions = {}): Promise<Page<AuditEntry>> {
  const limit = pageLimit(options.limit);
  const before = decodeCursor(options.cursor);
  const result = await db.query<AuditRow>(
    `SELECT * FROM audit_log
     WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR actor = $2) AND ($3::bigint IS NULL OR id < $3)
       AND ($5::text IS NULL OR target = $5 OR (right($5, 1) = ':' AND left(target, length($5)) = $5))
       AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
     ORDER BY id DESC LIMIT $4`,
    [filter.action ?? null, filter.actor ?? null, before, limit + 1, filter.target ?? null, filter.since ?? null, filter.until ?? null],
  );
  const page = toPage(result.rows, limit, (row) => row.id);
  return { items: page.items.map(toAudit), nextCursor: page.nextCursor };
}
