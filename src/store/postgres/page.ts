import { StoreError } from '../../core/errors.js';

/*
 * Keyset pagination over a bigserial id, newest first. The cursor is opaque to callers
 * (base64url of a small JSON object) so its shape may change without breaking them.
 */

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isFinite(limit) || limit < 1) {
    throw new StoreError('LIMIT_INVALID', `limit must be a positive integer (got ${limit})`);
  }
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

export function encodeIdCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id }), 'utf8').toString('base64url');
}

/** The id to continue below, or null for the first page. Throws CURSOR_INVALID for garbage. */
export function decodeIdCursor(cursor: string | null | undefined): number | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'id' in parsed) {
      const id = (parsed as { id: unknown }).id;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
    }
  } catch {
    // Falls through to the typed error below.
  }
  throw new StoreError('CURSOR_INVALID', 'the page cursor is not one this server issued');
}

/** Splits `limit + 1` rows fetched into a page and the cursor for the next one. */
export function toPage<R extends { id: number }, T>(rows: R[], limit: number, map: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: hasMore && last ? encodeIdCursor(last.id) : null };
}
