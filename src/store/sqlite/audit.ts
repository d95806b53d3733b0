import type { AuditEntry, JsonObject, Page } from '../../core/types.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import type { AuditFilter, ListOptions, NewAuditEntry } from '../store.js';
import type { SqliteContext } from './connection.js';
import { fromJson, toDate, toJson, toMs } from './rows.js';

/** The audit log: who did what to which target, newest first. */

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: string | null;
  remote_address: string | null;
}

const toAudit = (row: AuditRow): AuditEntry => ({
  id: row.id,
  at: toDate(row.at),
  actor: row.actor,
  action: row.action,
  target: row.target,
  details: fromJson<JsonObject>(row.details),
  remoteAddress: row.remote_address,
});

const AUDIT_COLUMNS = 'id, at, actor, action, target, details, remote_address';

export function appendAudit(ctx: SqliteContext, entry: NewAuditEntry): AuditEntry {
  const row = ctx.get<AuditRow>(
    `INSERT INTO audit_log (at, actor, action, target, details, remote_address) VALUES (?, ?, ?, ?, ?, ?)
      RETURNING ${AUDIT_COLUMNS}`,
    toMs(entry.at),
    entry.actor,
    entry.action,
    entry.target,
    toJson(entry.details),
    entry.remoteAddress ?? null,
  );
  if (row === undefined) throw new Error('unreachable: INSERT … RETURNING gave no row');
  return toAudit(row);
}

export function listAudit(ctx: SqliteContext, filter: AuditFilter, options: ListOptions = {}): Page<AuditEntry> {
  const limit = pageLimit(options.limit);
  const rows = ctx.all<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
      WHERE (@action IS NULL OR action = @action) AND (@actor IS NULL OR actor = @actor)
        AND (@target IS NULL OR target = @target OR (substr(@target, -1) = ':' AND substr(target, 1, length(@target)) = @target))
        AND (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until)
        AND (@after IS NULL OR id < @after)
      ORDER BY id DESC LIMIT @limit`,
    {
      action: filter.action ?? null,
      actor: filter.actor ?? null,
      target: filter.target ?? null,
      since: filter.since ? toMs(filter.since) : null,
      until: filter.until ? toMs(filter.until) : null,
      after: decodeCursor(options.cursor),
      limit: limit + 1,
    },
  );
  return toPage(rows.map(toAudit), limit, (entry) => entry.id);
}
