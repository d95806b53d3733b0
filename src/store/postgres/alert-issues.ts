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
import type { Queryable } from './connection.js';
import { jsonParam } from './rows.js';

/**
 * Alerts as issues (one open row per kind and subject, see 0008_alert_issues.sql): record,
 * list, resolve, acknowledge, mute. Forwarding them to the webhook: alert-outbox.ts.
 */

export interface AlertRow {
  id: number;
  at: Date;
  kind: AlertKind;
  subject: string;
  occurrences: number;
  last_seen_at: Date;
  event_id: number | null;
  stage: string | null;
  message: string;
  details: JsonObject | null;
  resolved_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_reason: string | null;
  muted_at: Date | null;
  muted_until: Date | null;
  muted_by: string | null;
  mute_reason: string | null;
}

export function toAlert(row: AlertRow): AlertRecord {
  return {
    id: Number(row.id),
    at: row.at,
    kind: row.kind,
    subject: row.subject,
    occurrences: row.occurrences,
    lastSeenAt: row.last_seen_at,
    eventId: row.event_id === null ? null : Number(row.event_id),
    stage: row.stage,
    message: row.message,
    details: row.details,
    resolvedAt: row.resolved_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    ackReason: row.ack_reason,
    mutedAt: row.muted_at,
    mutedUntil: row.muted_until,
    mutedBy: row.muted_by,
    muteReason: row.mute_reason,
  };
}

/** Opens an issue, or counts a repeat of the open one with the same kind and subject. */
export async function recordAlert(db: Queryable, a: NewAlert): Promise<AlertRecord> {
  const result = await db.query<AlertRow>(
    `INSERT INTO alerts (at, last_seen_at, kind, subject, event_id, stage, message, details)
     VALUES ($1, $1, $2, $3, $4, $5, $6, $7::jsonb)
     ON CONFLICT (kind, subject) WHERE resolved_at IS NULL DO UPDATE SET
       occurrences = alerts.occurrences + $8,
       last_seen_at = GREATEST(alerts.last_seen_at, excluded.last_seen_at),
       event_id = excluded.event_id, stage = excluded.stage, message = excluded.message, details = excluded.details
     RETURNING *`,
    [
      a.at,
      a.kind,
      storableText(alertSubject(a)),
      a.eventId ?? null,
      a.stage ?? null,
      a.message,
      jsonParam(a.details),
      a.repeat === 'refresh' ? 0 : 1,
    ],
  );
  return toAlert(result.rows[0] as AlertRow);
}

/** Newest first. */
export async function listAlerts(db: Queryable, options: ListOptions & { unresolvedOnly?: boolean } = {}): Promise<Page<AlertRecord>> {
  const limit = pageLimit(options.limit);
  const before = decodeCursor(options.cursor);
  const result = await db.query<AlertRow>(
    `SELECT * FROM alerts
     WHERE ($1::bigint IS NULL OR id < $1) AND (NOT $2::boolean OR resolved_at IS NULL)
     ORDER BY id DESC LIMIT $3`,
    [before, options.unresolvedOnly === true, limit + 1],
  );
  const page = toPage(result.rows, limit, (row) => row.id);
  return { items: page.items.map(toAlert), nextCursor: page.nextCursor };
}

/** Oldest first. (Default limit: 500) */
export async function listOpenAlerts(db: Queryable, kinds: readonly AlertKind[], limit = 500): Promise<AlertRecord[]> {
  if (kinds.length === 0) return [];
  const result = await db.query<AlertRow>(
    'SELECT * FROM alerts WHERE resolved_at IS NULL AND kind = ANY($1::text[]) ORDER BY id LIMIT $2',
    [[...kinds], Math.max(0, Math.trunc(limit))],
  );
  return result.rows.map(toAlert);
}

export async function resolveAlert(db: Queryable, id: number, now: Date): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false;
  const result = await db.query('UPDATE alerts SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL', [id, now]);
  return result.rowCount === 1;
}

/** The subject as recordAlert stored it (cut and made storable), so the same words find the same issue. */
export async function resolveAlertBySubject(db: Queryable, kind: AlertKind, subject: string, now: Date): Promise<boolean> {
  const result = await db.query('UPDATE alerts SET resolved_at = $3 WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL', [
    kind,
    storableText(alertSubject({ subject, message: '' })),
    now,
  ]);
  return (result.rowCount ?? 0) > 0;
}

export async function resolveAlertsForEvent(db: Queryable, eventId: number, kinds: readonly AlertKind[], now: Date): Promise<number> {
  if (!Number.isSafeInteger(eventId) || kinds.length === 0) return 0;
  const result = await db.query(
    'UPDATE alerts SET resolved_at = $3 WHERE event_id = $1 AND resolved_at IS NULL AND kind = ANY($2::text[])',
    [eventId, [...kinds], now],
  );
  return result.rowCount ?? 0;
}

export async function acknowledgeAlert(db: Queryable, ack: AlertAck): Promise<AlertAckResult> {
  if (!Number.isSafeInteger(ack.id)) return { status: 'not_found' };
  const updated = await db.query<AlertRow>(
    `UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3, ack_reason = $4
     WHERE id = $1 AND resolved_at IS NULL AND acknowledged_at IS NULL RETURNING *`,
    [ack.id, ack.now, storableText(ack.actor), storableText(ack.reason)],
  );
  if (updated.rows[0]) return { status: 'acknowledged', alert: toAlert(updated.rows[0]) };
  const current = await db.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [ack.id]);
  const row = current.rows[0];
  if (!row) return { status: 'not_found' };
  return { status: row.resolved_at !== null ? 'resolved' : 'already_acknowledged', alert: toAlert(row) };
}

export async function muteAlert(db: Queryable, mute: AlertMute): Promise<AlertMuteResult> {
  if (!Number.isSafeInteger(mute.id)) return { status: 'not_found' };
  const updated = await db.query<AlertRow>(
    `UPDATE alerts SET muted_at = $2, muted_until = $3, muted_by = $4, mute_reason = $5
     WHERE id = $1 AND resolved_at IS NULL RETURNING *`,
    [mute.id, mute.now, mute.until, storableText(mute.actor), storableText(mute.reason)],
  );
  if (updated.rows[0]) return { status: 'muted', alert: toAlert(updated.rows[0]) };
  const current = await db.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [mute.id]);
  return current.rows[0] ? { status: 'resolved', alert: toAlert(current.rows[0]) } : { status: 'not_found' };
}
