import type { ApiTokenRecord, SessionRecord } from '../../core/types.js';
import type { NewApiToken } from '../store.js';
import type { Queryable } from './connection.js';
import { type ApiTokenRow, type SessionRow, toApiToken, toSession } from './rows.js';

/** API tokens and dashboard sessions (sign-in links: login-links.ts). */

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
  const result = await db.query<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash]);
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
