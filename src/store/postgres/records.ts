import type {
  AlertKind,
  AlertRecord,
  ApiTokenRecord,
  AuditEntry,
  EntityState,
  Page,
  RejectedDelivery,
  SessionRecord,
} from '../../core/types.js';
import type {
  AlertAck,
  AlertAckResult,
  AlertToForward,
  ClaimAlertsToForward,
  EntityTransition,
  ListOptions,
  NewAlert,
  NewApiToken,
  NewAuditEntry,
  NewRejection,
} from '../store.js';
import type { Queryable } from './connection.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import {
  type AlertRow,
  type ApiTokenRow,
  type AuditRow,
  type EntityStateRow,
  type RejectionRow,
  type SessionRow,
  jsonParam,
  toAlert,
  toApiToken,
  toAudit,
  toEntityState,
  toRejection,
  toSession,
} from './rows.js';
import { storableText, storableTextOrNull } from '../storable.js';

// ── Entity state ─────────────────────────────────────────────────────────────────────────

export async function getEntityStateRow(db: Queryable, entityKey: string): Promise<EntityState | null> {
  const result = await db.query<EntityStateRow>('SELECT * FROM entity_states WHERE entity_key = $1', [entityKey]);
  const row = result.rows[0];
  return row ? toEntityState(row) : null;
}

/** Compare-and-set in one statement, so two workers racing on one entity cannot both win. */
export async function setEntityStateRow(db: Queryable, t: EntityTransition): Promise<boolean> {
  const values = [t.entityKey, t.state, t.eventId, t.occurredAt, t.now];
  const result =
    t.expectedState === null
      ? await db.query(
          `INSERT INTO entity_states (entity_key, state, event_id, occurred_at, updated_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (entity_key) DO NOTHING`,
          values,
        )
      : await db.query(
          `UPDATE entity_states SET state = $2, event_id = $3, occurred_at = $4, updated_at = $5
           WHERE entity_key = $1 AND state = $6`,
          [...values, t.expectedState],
        );
  return result.rowCount === 1;
}

// ── Audit ────────────────────────────────────────────────────────────────────────────────

export async function appendAuditRow(db: Queryable, entry: NewAuditEntry): Promise<AuditEntry> {
  const result = await db.query<AuditRow>(
    `INSERT INTO audit_log (at, actor, action, target, details, remote_address)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING *`,
    [entry.at, entry.actor, entry.action, entry.target, jsonParam(entry.details), entry.remoteAddress ?? null],
  );
  return toAudit(result.rows[0] as AuditRow);
}

/** Newest first. */
export async function listAuditRows(
  db: Queryable,
  filter: { action?: string; actor?: string },
  options: ListOptions = {},
): Promise<Page<AuditEntry>> {
  const limit = pageLimit(options.limit);
  const before = decodeCursor(options.cursor);
  const result = await db.query<AuditRow>(
    `SELECT * FROM audit_log
     WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR actor = $2) AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [filter.action ?? null, filter.actor ?? null, before, limit + 1],
  );
  const page = toPage(result.rows, limit, (row) => row.id);
  return { items: page.items.map(toAudit), nextCursor: page.nextCursor };
}

// ── API tokens ───────────────────────────────────────────────────────────────────────────

export async function createApiTokenRow(db: Queryable, token: NewApiToken): Promise<ApiTokenRecord> {
  const result = await db.query<ApiTokenRow>(
    `INSERT INTO api_tokens (name, token_hash, scopes, created_at, created_by) VALUES ($1, $2, $3::text[], $4, $5) RETURNING *`,
    [token.name, token.tokenHash, token.scopes, token.now, token.createdBy],
  );
  return toApiToken(result.rows[0] as ApiTokenRow);
}

/** Only an active token: a revoked one no longer authenticates. */
export async function findApiTokenRow(db: Queryable, tokenHash: string): Promise<ApiTokenRecord | null> {
  const result = await db.query<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [
    tokenHash,
  ]);
  const row = result.rows[0];
  return row ? toApiToken(row) : null;
}

export async function listApiTokenRows(db: Queryable): Promise<ApiTokenRecord[]> {
  const result = await db.query<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY id');
  return result.rows.map(toApiToken);
}

export async function revokeApiTokenRow(db: Queryable, id: number, now: Date): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false;
  const result = await db.query('UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now]);
  return result.rowCount === 1;
}

export async function touchApiTokenRow(db: Queryable, id: number, now: Date): Promise<void> {
  if (!Number.isSafeInteger(id)) return;
  await db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [id, now]);
}

// ── Sessions ─────────────────────────────────────────────────────────────────────────────

export async function createSessionRow(db: Queryable, s: SessionRecord): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id, email, name, roles, csrf_token, created_at, expires_at)
     VALUES ($1, $2, $3, $4::text[], $5, $6, $7)`,
    [s.id, s.email, s.name, s.roles, s.csrfToken, s.createdAt, s.expiresAt],
  );
}

/** An expired session is as good as none. */
export async function getSessionRow(db: Queryable, id: string, now: Date): Promise<SessionRecord | null> {
  const result = await db.query<SessionRow>('SELECT * FROM sessions WHERE id = $1 AND expires_at > $2', [id, now]);
  const row = result.rows[0];
  return row ? toSession(row) : null;
}

export async function deleteSessionRow(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id = $1', [id]);
}

// ── Rejected deliveries ──────────────────────────────────────────────────────────────────

/** (Default keep: 1,000 rows) */
export async function recordRejectionRow(db: Queryable, r: NewRejection, keep = 1000): Promise<void> {
  await db.query(
    `INSERT INTO rejected_deliveries (at, source, http_status, reason, remote_address, first_bytes)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [r.at, storableText(r.source), r.httpStatus, storableText(r.reason), storableTextOrNull(r.remoteAddress), storableText(r.firstBytes.slice(0, 256))],
  );
  await db.query(
    `DELETE FROM rejected_deliveries
     WHERE id < COALESCE((SELECT min(id) FROM (SELECT id FROM rejected_deliveries ORDER BY id DESC LIMIT $1) AS kept), 'Infinity'::numeric)`,
    [Math.max(0, Math.floor(keep))],
  );
}

/** Newest first. (Default limit: 100) */
export async function listRejectionRows(db: Queryable, limit = 100): Promise<RejectedDelivery[]> {
  const result = await db.query<RejectionRow>('SELECT * FROM rejected_deliveries ORDER BY id DESC LIMIT $1', [limit]);
  return result.rows.map(toRejection);
}

// ── Alerts ───────────────────────────────────────────────────────────────────────────────

export async function recordAlertRow(db: Queryable, a: NewAlert): Promise<AlertRecord> {
  const result = await db.query<AlertRow>(
    `INSERT INTO alerts (at, kind, event_id, stage, message, details) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *`,
    [a.at, a.kind, a.eventId ?? null, a.stage ?? null, a.message, jsonParam(a.details)],
  );
  return toAlert(result.rows[0] as AlertRow);
}

/** Newest first. */
export async function listAlertRows(
  db: Queryable,
  options: ListOptions & { unresolvedOnly?: boolean } = {},
): Promise<Page<AlertRecord>> {
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

/** See Store.claimAlertsToForward: SKIP LOCKED keeps concurrent forwarders on disjoint alerts. */
export async function claimAlertsToForwardRows(db: Queryable, options: ClaimAlertsToForward): Promise<AlertToForward[]> {
  const result = await db.query<AlertRow & { forward_attempts: number }>(
    `UPDATE alerts SET forward_next_at = $1, forward_attempts = forward_attempts + 1
     WHERE id IN (
       SELECT id FROM alerts
       WHERE forwarded_at IS NULL AND at >= $2 AND (forward_next_at IS NULL OR forward_next_at <= $3)
       ORDER BY id LIMIT $4
       FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [options.claimUntil, options.recordedSince, options.now, Math.max(0, Math.floor(options.limit))],
  );
  return result.rows
    .sort((a, b) => a.id - b.id)
    .map((row) => ({ ...toAlert(row), forwardAttempts: row.forward_attempts }));
}

export async function markAlertForwardedRow(db: Queryable, id: number, at: Date): Promise<void> {
  await db.query('UPDATE alerts SET forwarded_at = $2, forward_error = NULL WHERE id = $1', [id, at]);
}

export async function markAlertForwardFailedRow(db: Queryable, id: number, failure: { nextAt: Date; error: string }): Promise<void> {
  await db.query('UPDATE alerts SET forward_next_at = $2, forward_error = $3 WHERE id = $1 AND forwarded_at IS NULL', [
    id,
    failure.nextAt,
    failure.error.slice(0, 1000),
  ]);
}

export async function resolveAlertRow(db: Queryable, id: number, now: Date): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false;
  const result = await db.query('UPDATE alerts SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL', [id, now]);
  return result.rowCount === 1;
}

export async function resolveAlertRowsForEvent(db: Queryable, eventId: number, kinds: readonly AlertKind[], now: Date): Promise<number> {
  if (!Number.isSafeInteger(eventId) || kinds.length === 0) return 0;
  const result = await db.query(
    'UPDATE alerts SET resolved_at = $3 WHERE event_id = $1 AND resolved_at IS NULL AND kind = ANY($2::text[])',
    [eventId, [...kinds], now],
  );
  return result.rowCount ?? 0;
}

export async function acknowledgeAlertRow(db: Queryable, ack: AlertAck): Promise<AlertAckResult> {
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
