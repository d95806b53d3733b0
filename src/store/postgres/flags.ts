import type pg from 'pg';
import { StoreError } from '../../core/errors.js';
import type { FlagChange, FlagRecord, Page } from '../../core/types.js';
import type { FlagDefinition, FlagHistoryFilter, ListOptions, SetFlagInput } from '../store.js';
import type { Queryable } from './connection.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import { type FlagChangeRow, type FlagRow, toFlag, toFlagChange } from './rows.js';

/** New flags get their default; an existing flag keeps its value (its description is refreshed). */
export async function ensureFlags(db: Queryable, definitions: FlagDefinition[], now: Date): Promise<void> {
  if (definitions.length === 0) return;
  await db.query(
    `INSERT INTO flags (key, value, description, updated_at)
     SELECT d.key, d.value, d.description, $4 FROM unnest($1::text[], $2::boolean[], $3::text[]) AS d(key, value, description)
     ON CONFLICT (key) DO UPDATE SET description = excluded.description`,
    [definitions.map((d) => d.key), definitions.map((d) => d.defaultValue), definitions.map((d) => d.description), now],
  );
}

export async function listFlags(db: Queryable): Promise<FlagRecord[]> {
  const result = await db.query<FlagRow>('SELECT * FROM flags ORDER BY key');
  return result.rows.map(toFlag);
}

export async function getFlag(db: Queryable, key: string): Promise<FlagRecord | null> {
  const result = await db.query<FlagRow>('SELECT * FROM flags WHERE key = $1', [key]);
  const row = result.rows[0];
  return row ? toFlag(row) : null;
}

export async function setFlag(client: pg.PoolClient, input: SetFlagInput): Promise<{ flag: FlagRecord; change: FlagChange }> {
  const current = await client.query<FlagRow>('SELECT * FROM flags WHERE key = $1 FOR UPDATE', [input.key]);
  const before = current.rows[0];
  if (!before) throw new StoreError('FLAG_UNKNOWN', `flag "${input.key}" does not exist`);
  const updated = await client.query<FlagRow>('UPDATE flags SET value = $2, updated_at = $3, updated_by = $4 WHERE key = $1 RETURNING *', [
    input.key,
    input.value,
    input.now,
    input.actor,
  ]);
  const change = await client.query<FlagChangeRow>(
    `INSERT INTO flag_changes (key, old_value, new_value, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [input.key, before.value, input.value, input.actor, input.reason ?? null, input.now],
  );
  return { flag: toFlag(updated.rows[0] as FlagRow), change: toFlagChange(change.rows[0] as FlagChangeRow) };
}

/** Newest first; all flags when `key` is null. */
export async function flagHistory(
  db: Queryable,
  key: string | null,
  options: ListOptions & FlagHistoryFilter = {},
): Promise<Page<FlagChange>> {
  const limit = pageLimit(options.limit);
  const before = decodeCursor(options.cursor);
  const result = await db.query<FlagChangeRow>(
    `SELECT * FROM flag_changes
     WHERE ($1::text IS NULL OR key = $1) AND ($2::bigint IS NULL OR id < $2)
       AND ($4::text IS NULL OR actor = $4)
       AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
     ORDER BY id DESC LIMIT $3`,
    [key, before, limit + 1, options.actor ?? null, options.since ?? null, options.until ?? null],
  );
  const page = toPage(result.rows, limit, (row) => row.id);
  return { items: page.items.map(toFlagChange), nextCursor: page.nextCursor };
}
