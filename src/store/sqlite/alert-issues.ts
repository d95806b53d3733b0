import type { AlertKind, AlertRecord, JsonObject, Page } from '../../core/types.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import {
  alertSubject,
  type AlertAck,
  type AlertAckResult,
  type AlertMute,
  type AlertMuteResult,
  type ListOptions,
  type NewAlert,
} from '../store.js';
import { storableText } from '../storable.js';
import type { SqliteContext } from './connection.js';
import { fromJson, optionalDate, toDate, toJson, toMs } from './rows.js';

/** Alerts as issues: one open row per kind and subject (see 0008_alert_issues.sql). */

export interface AlertRow {
  id: number;
  at: number;
  kind: string;
  subject: string;
  occurrences: number;
  last_seen_at: number;
  event_id: number | null;
  stage: string | null;
  message: string;
  details: string | null;
  resolved_at: number | null;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  ack_reason: string | null;
  muted_at: number | null;
  muted_until: number | null;
  muted_by: string | null;
  mute_reason: string | null;
}

export const ALERT_COLUMNS =
  'id, at, kind, subject, occurrences, last_seen_at, event_id, stage, message, details, resolved_at, ' +
  'acknowledged_at, acknowledged_by, ack_reason, muted_at, muted_until, muted_by, mute_reason';

export const toAlert = (row: AlertRow): AlertRecord => ({
  id: row.id,
  at: toDate(row.at),
  kind: row.kind as AlertKind,
  subject: row.subject,
  occurrences: row.occurrences,
  lastSeenAt: toDate(row.last_seen_at),
  eventId: row.event_id,
  stage: row.stage,
  message: row.message,
  details: fromJson<JsonObject>(row.details),
  resolvedAt: optionalDate(row.resolved_at),
  acknowledgedAt: optionalDate(row.acknowledged_at),
  acknowledgedBy: row.acknowledged_by,
  ackReason: row.ack_reason,
  mutedAt: optionalDate(row.muted_at),
  mutedUntil: optionalDate(row.muted_until),
  mutedBy: row.muted_by,
  muteReason: row.mute_reason,
});

/** Opens an issue, or counts a repeat of the open one with the same kind and subject. */
export function recordAlert(ctx: SqliteContext, alert: NewAlert): AlertRecord {
  const row = ctx.get<AlertRow>(
    `INSERT INTO alerts (at, last_seen_at, kind, subject, event_id, stage, message, details) VALUES (@at, @at, @kind, @subject, @event_id, @stage, @message, @details)
     ON CONFLICT (kind, subject) WHERE resolved_at IS NULL DO UPDATE SET
       occurrences = occurrences + @count,
       last_seen_at = max(last_seen_at, excluded.last_seen_at),
       event_id = excluded.event_id, stage = excluded.stage, message = excluded.message, details = excluded.details
     RETURNING ${ALERT_COLUMNS}`,
    {
      at: toMs(alert.at),
      kind: alert.kind,
      subject: storableText(alertSubject(alert)),
      event_id: alert.eventId ?? null,
      stage: alert.stage ?? null,
      message: alert.message,
      details: toJson(alert.details),
      count: alert.repeat === 'refresh' ? 0 : 1,
    },
  );
  if (row === undefined) throw new Error('unreachable: INSERT … RETURNING gave no row');
  return toAlert(row);
}

export function listAlerts(ctx: SqliteContext, options: ListOptions & { unresolvedOnly?: boolean } = {}): Page<AlertRecord> {
  const limit = pageLimit(options.limit);
  const rows = ctx.all<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts
      WHERE (@unresolved_only = 0 OR resolved_at IS NULL) AND (@after IS NULL OR id < @after)
      ORDER BY id DESC LIMIT @limit`,
    { unresolved_only: options.unresolvedOnly ? 1 : 0, after: decodeCursor(options.cursor), limit: limit + 1 },
  );
  return toPage(rows.map(toAlert), limit, (alert) => alert.id);
}

/** Oldest first. (Default limit: 500) */
export function listOpenAlerts(ctx: SqliteContext, kinds: readonly AlertKind[], limit = 500): AlertRecord[] {
  if (kinds.length === 0) return [];
  return ctx
    .all<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE resolved_at IS NULL AND kind IN (${kinds.map(() => '?').join(', ')})
        ORDER BY id LIMIT ?`,
      ...kinds,
      Math.max(0, Math.trunc(limit)),
    )
    .map(toAlert);
}

export function resolveAlert(ctx: SqliteContext, id: number, now: Date): boolean {
  return ctx.run('UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL', toMs(now), id).changes === 1;
}

/** The subject as recordAlert stored it (cut and made storable), so the same words find the same issue. */
export function resolveAlertBySubject(ctx: SqliteContext, kind: AlertKind, subject: string, now: Date): boolean {
  return (
    ctx.run(
      'UPDATE alerts SET resolved_at = ? WHERE kind = ? AND subject = ? AND resolved_at IS NULL',
      toMs(now),
      kind,
      storableText(alertSubject({ subject, message: '' })),
    ).changes > 0
  );
}

export function resolveAlertsForEvent(ctx: SqliteContext, eventId: number, kinds: readonly AlertKind[], now: Date): number {
  if (kinds.length === 0) return 0;
  return ctx.run(
    `UPDATE alerts SET resolved_at = ? WHERE event_id = ? AND resolved_at IS NULL AND kind IN (${kinds.map(() => '?').join(', ')})`,
    toMs(now),
    eventId,
    ...kinds,
  ).changes;
}

export function acknowledgeAlert(ctx: SqliteContext, ack: AlertAck): AlertAckResult {
  const row = ctx.get<AlertRow>(
    `UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?, ack_reason = ?
      WHERE id = ? AND resolved_at IS NULL AND acknowledged_at IS NULL RETURNING ${ALERT_COLUMNS}`,
    toMs(ack.now),
    storableText(ack.actor),
    storableText(ack.reason),
    ack.id,
  );
  if (row !== undefined) return { status: 'acknowledged', alert: toAlert(row) };
  const current = ctx.get<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = ?`, ack.id);
  if (current === undefined) return { status: 'not_found' };
  return { status: current.resolved_at !== null ? 'resolved' : 'already_acknowledged', alert: toAlert(current) };
}

export function muteAlert(ctx: SqliteContext, mute: AlertMute): AlertMuteResult {
  const row = ctx.get<AlertRow>(
    `UPDATE alerts SET muted_at = ?, muted_until = ?, muted_by = ?, mute_reason = ?
      WHERE id = ? AND resolved_at IS NULL RETURNING ${ALERT_COLUMNS}`,
    toMs(mute.now),
    toMs(mute.until),
    storableText(mute.actor),
    storableText(mute.reason),
    mute.id,
  );
  if (row !== undefined) return { status: 'muted', alert: toAlert(row) };
  const current = ctx.get<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = ?`, mute.id);
  return current === undefined ? { status: 'not_found' } : { status: 'resolved', alert: toAlert(current) };
}
