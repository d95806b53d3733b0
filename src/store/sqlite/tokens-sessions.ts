import type { ApiTokenRecord, SessionRecord } from '../../core/types.js';
import type { NewApiToken } from '../store.js';
import type { SqliteContext } from './connection.js';
import { optionalDate, toDate, toMs } from './rows.js';

/** API tokens and dashboard sessions (sign-in links: login-links.ts). */

interface ApiTokenRow {
  id: number;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
}

const TOKEN_COLUMNS = 'id, name, token_hash, scopes, created_at, created_by, revoked_at, last_used_at';

const toApiToken = (row: ApiTokenRow): ApiTokenRecord => ({
  id: row.id,
  name: row.name,
  tokenHash: row.token_hash,
  scopes: JSON.parse(row.scopes) as string[],
  createdAt: toDate(row.created_at),
  createdBy: row.created_by,
  revokedAt: optionalDate(row.revoked_at),
  lastUsedAt: optionalDate(row.last_used_at),
});

export function createApiToken(ctx: SqliteContext, token: NewApiToken): ApiTokenRecord {
  const row = ctx.get<ApiTokenRow>(
    `INSERT INTO api_tokens (name, token_hash, scopes, created_at, created_by) VALUES (?, ?, ?, ?, ?)
      RETURNING ${TOKEN_COLUMNS}`,
    token.name,
    token.tokenHash,
    JSON.stringify(token.scopes),
    toMs(token.now),
    token.createdBy,
  );
  if (row === undefined) throw new Error('unreachable: INSERT … RETURNING gave no row');
  return toApiToken(row);
}

/** Only active tokens: a revoked token must not authenticate, whoever forgets to check. */
export function findApiTokenByHash(ctx: SqliteContext, tokenHash: string): ApiTokenRecord | null {
  const row = ctx.get<ApiTokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`, tokenHash);
  return row === undefined ? null : toApiToken(row);
}

export function listApiTokens(ctx: SqliteContext): ApiTokenRecord[] {
  return ctx.all<ApiTokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY id`).map(toApiToken);
}

export function revokeApiToken(ctx: SqliteContext, id: number, now: Date): boolean {
  return ctx.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', toMs(now), id).changes === 1;
}

export function touchApiToken(ctx: SqliteContext, id: number, now: Date): void {
  ctx.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', toMs(now), id);
}

interface SessionRow {
  id: string;
  email: string;
  name: string | null;
  roles: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export function createSession(ctx: SqliteContext, session: SessionRecord): void {
  ctx.run(
    `INSERT INTO sessions (id, email, name, roles, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    session.id,
    session.email,
    session.name,
    JSON.stringify(session.roles),
    session.csrfToken,
    toMs(session.createdAt),
    toMs(session.expiresAt),
  );
}

export function getSession(ctx: SqliteContext, id: string, now: Date): SessionRecord | null {
  const row = ctx.get<SessionRow>(
    'SELECT id, email, name, roles, csrf_token, created_at, expires_at FROM sessions WHERE id = ? AND expires_at > ?',
    id,
    toMs(now),
  );
  if (row === undefined) return null;
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: JSON.parse(row.roles) as string[],
    csrfToken: row.csrf_token,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function deleteSession(ctx: SqliteContext, id: string): void {
  ctx.run('DELETE FROM sessions WHERE id = ?', id);
}
