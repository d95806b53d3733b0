import type { LoginLinkRecord, NewLoginLink } from '../store.js';
import type { SqliteContext } from './connection.js';
import { optionalDate, toDate, toMs } from './rows.js';

/** One-time sign-in links (`webpig login-link`): created, looked up, used once. */

interface LoginLinkRow {
  id: number;
  token_hash: string;
  email: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

const COLUMNS = 'id, token_hash, email, created_by, created_at, expires_at, used_at';

const toLoginLink = (row: LoginLinkRow): LoginLinkRecord => ({
  id: row.id,
  tokenHash: row.token_hash,
  email: row.email,
  createdBy: row.created_by,
  createdAt: toDate(row.created_at),
  expiresAt: toDate(row.expires_at),
  usedAt: optionalDate(row.used_at),
});

export function createLoginLink(ctx: SqliteContext, link: NewLoginLink): LoginLinkRecord {
  const row = ctx.get<LoginLinkRow>(
    `INSERT INTO login_links (token_hash, email, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
      RETURNING ${COLUMNS}`,
    link.tokenHash,
    link.email,
    link.createdBy,
    toMs(link.createdAt),
    toMs(link.expiresAt),
  );
  if (row === undefined) throw new Error('unreachable: INSERT … RETURNING gave no row');
  return toLoginLink(row);
}

export function findLoginLink(ctx: SqliteContext, tokenHash: string): LoginLinkRecord | null {
  const row = ctx.get<LoginLinkRow>(`SELECT ${COLUMNS} FROM login_links WHERE token_hash = ?`, tokenHash);
  return row === undefined ? null : toLoginLink(row);
}

export function useLoginLink(ctx: SqliteContext, tokenHash: string, now: Date): LoginLinkRecord | null {
  const row = ctx.get<LoginLinkRow>(
    `UPDATE login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    toMs(now),
    tokenHash,
    toMs(now),
  );
  return row === undefined ? null : toLoginLink(row);
}
