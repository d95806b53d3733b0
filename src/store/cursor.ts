import { StoreError } from '../core/errors.js';

/**
 * Opaque page cursors, shared by both stores so a cursor means the same thing on either.
 * Lists are newest first by id; the cursor carries the last id shown, and the next page
 * holds the rows with a smaller id. Callers must treat the string as opaque.
 */

const CURSOR_VERSION = 1;

export function encodeCursor(lastId: number): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, id: lastId }), 'utf8').toString('base64url');
}

/** Returns the id to page after, null when there is no cursor; throws CURSOR_INVALID on garbage. */
export function decodeCursor(cursor: string | null | undefined): number | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalidCursor();
  const { v, id } = decoded as { v?: unknown; id?: unknown };
  if (v !== CURSOR_VERSION || typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw invalidCursor();
  }
  return id;
}

/** Page size from ListOptions.limit. (Default: 50, at most 500) */
export function pageLimit(limit: number | undefined, fallback = 50, max = 500): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only says there is more.
 */
export function toPage<T>(rows: T[], limit: number, idOf: (row: T) => number): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? null : encodeCursor(idOf(last)) };
}

function invalidCursor(): StoreError {
  return new StoreError('CURSOR_INVALID', 'the page cursor is not valid: start again from the first page');
}
