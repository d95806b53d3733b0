import type { LoginLinkRecord, NewLoginLink } from '../store.js';
import type { Queryable } from './connection.js';

/** One-time sign-in links (`webpig login-link`): created, looked up, used once. */

interface LoginLinkRow {
  id: number;
  token_hash: string;
  email: string;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

const toLoginLink = (row: LoginLinkRow): LoginLinkRecord => ({
  id: row.id,
  tokenHash: row.token_hash,
  email: row.email,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
});

export async function createLoginLink(db: Queryable, link: NewLoginLink): Promise<LoginLinkRecord> {
  const result = await db.query<LoginLinkRow>(
    `INSERT INTO login_links (token_hash, email, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
     RETURNING *`,
    [link.tokenHash, link.email, link.createdBy, link.createdAt, link.expiresAt],
  );
  return toLoginLink(result.rows[0] as LoginLinkRow);
}

export async function findLoginLink(db: Queryable, tokenHash: string): Promise<LoginLinkRecord | null> {
  const result = await db.query<LoginLinkRow>('SELECT * FROM login_links WHERE token_hash = $1', [tokenHash]);
  const row = result.rows[0];
  return row ? toLoginLink(row) : null;
}

/** A single UPDATE: under concurrent uses, the row lock lets exactly one of them match. */
export async function useLoginLink(db: Queryable, tokenHash: string, now: Date): Promise<LoginLinkRecord | null> {
  const result = await db.query<LoginLinkRow>(
    `UPDATE login_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING *`,
    [tokenHash, now],
  );
  const row = result.rows[0];
  return row ? toLoginLink(row) : null;
}
