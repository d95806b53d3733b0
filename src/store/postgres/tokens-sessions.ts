import type {
  ApiTokenRecord,
  AuditEntry,
  EntityState,
  Page,
  RejectedDelivery,
  SessionRecord,
} from '../../core/types.js';
import type {
  AuditFilter,
  EntityTransition,
  ListOptions,
  NewApiToken,
  NewAuditEntry,
  NewRejection,
} from '../store.js';
import type { Queryable } from './connection.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import {
  type ApiTokenRow,
  type AuditRow,
  type EntityStateRow,
  type RejectionRow,
  type SessionRow,
  jsonParam,
  toApiToken,
  toAudit,
  toEntityState,
  toRejection,
  toSession,
} from './rows.js';
import { storableText, storableTextOrNull } from '../storable.js';

// ── Entity state ─────────────────────────────────────────────────────────────────────────

export async function getEntityState(db: Queryable, entityKey: string): Promise<EntityState | null> {
  const result = await db.query<EntityStateRow>('SELECT * FROM entity_states WHERE entity_key = $1', [entityKey]);
  const row = result.rows[0];
  return row ? toEntityState(row) : null;
}

/** Compare-and-set in one statement, so two workers racing on one entity cannot both win. */
export async function setEntityState(db: Queryable, t: EntityTransition): Promise<boolean> {
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

export async function appendAudit(db: Queryable, entry: NewAuditEntry): Promise<AuditEntry> {
  const result = await db.query<AuditRow>(
    `INSERT INTO audit_log (at, actor, action, target, details, remote_address)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING *`,
    [entry.at, entry.actor, entry.action, entry.target, jsonParam(entry.details), entry.remoteAddress ?? null],
  );
  return toAudit(result.rows[0] as AuditRow);
}

/** Newest first. */
export async function listAudit(
  db: Queryable,
  filter: AuditFilter,
  options: ListOptions = {},
): Promise<Page<AuditEntry>> {
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

// ── API tokens ───────────────────────────────────────────────────────────────────────────

export async function createApiToken(db: Queryable, token: NewApiToken): Promise<ApiTokenRecord> {
  const result = await db.query<ApiTokenRow>(
    `INSERT INTO api_tokens (name, token_hash, scopes, created_at, created_by) VALUES ($1, $2, $3::text[], $4, $5) RETURNING *`,
    [token.name, token.tokenHash, token.scopes, token.now, token.createdBy],
  );
  return toApiToken(result.rows[0] as ApiTokenRow);
}

/** Only an active token: a revoked one no longer authenticates. */
export async function findApiTokenByHash(db: Queryable, tokenHash: string): Promise<ApiTokenRecord | null> {
  const result = await db.query<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [
    tokenHash,
  ]);
  const row = result.rows[0];
  return row ? toApiToken(row) : null;
}

export async function listApiTokens(db: Queryable): Promise<ApiTokenRecord[]> {
  const result = await db.query<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY id');
  return result.rows.map(toApiToken);
}

export async function revokeApiToken(db: Queryable, id: number, now: Date): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false;
  const result = await db.query('UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now]);
  return result.rowCount === 1;
}

export async function touchApiToken(db: Queryable, id: number, now: Date): Promise<void> {
  if (!Number.isSafeInteger(id)) return;
  await db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [id, now]);
}

// ── Sessions ─────────────────────────────────────────────────────────────────────────────

export async function createSession(db: Queryable, s: SessionRecord): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id, email, name, roles, csrf_token, created_at, expires_at)
     VALUES ($1, $2, $3, $4::text[], $5, $6, $7)`,
    [s.id, s.email, s.name, s.roles, s.csrfToken, s.createdAt, s.expiresAt],
  );
}

/** An expired session is as good as none. */
export async function getSession(db: Queryable, id: string, now: Date): Promise<SessionRecord | null> {
  const result = await db.query<SessionRow>('SELECT * FROM sessions WHERE id = $1 AND expires_at > $2', [id, now]);
  const row = result.rows[0];
  return row ? toSession(row) : null;
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id = $1', [id]);
}

// ── Rejected deliveries ──────────────────────────────────────────────────────────────────

/** (Default keep: 1,000 rows) */
export async function recordRejection(db: Queryable, r: NewRejection, keep = 1000): Promise<void> {
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
export async function listRejections(db: Queryable, limit = 100): Promise<RejectedDelivery[]> {
  const result = await db.query<RejectionRow>('SELECT * FROM rejected_deliveries ORDER BY id DESC LIMIT $1', [limit]);
  return result.rows.map(toRejection);
}
