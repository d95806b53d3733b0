import { StoreError } from '../../core/errors.js';
import type { FlagChange, FlagRecord, Page } from '../../core/types.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import type { FlagDefinition, FlagHistoryFilter, ListOptions, SetFlagInput } from '../store.js';
import type { SqliteContext } from './connection.js';
import { toDate, toMs } from './rows.js';

/** Feature flags and their history of changes. */

interface FlagRow {
  key: string;
  value: number;
  description: string;
  updated_at: number;
  updated_by: string | null;
}

const toFlag = (row: FlagRow): FlagRecord => ({
  key: row.key,
  value: row.value === 1,
  description: row.description,
  updatedAt: toDate(row.updated_at),
  updatedBy: row.updated_by,
});

const FLAG_COLUMNS = 'key, value, description, updated_at, updated_by';

export function ensureFlags(ctx: SqliteContext, definitions: FlagDefinition[], now: Date): void {
  ctx.immediate(() => {
    for (const definition of definitions) {
      // The description follows the code; the value stays whatever operators set.
      ctx.run(
        `INSERT INTO flags (key, value, description, updated_at, updated_by) VALUES (?, ?, ?, ?, NULL)
          ON CONFLICT (key) DO UPDATE SET description = excluded.description`,
        definition.key,
        definition.defaultValue ? 1 : 0,
        definition.description,
        toMs(now),
      );
    }
  });
}

export function listFlags(ctx: SqliteContext): FlagRecord[] {
  return ctx.all<FlagRow>(`SELECT ${FLAG_COLUMNS} FROM flags ORDER BY key`).map(toFlag);
}

export function getFlag(ctx: SqliteContext, key: string): FlagRecord | null {
  const row = ctx.get<FlagRow>(`SELECT ${FLAG_COLUMNS} FROM flags WHERE key = ?`, key);
  return row === undefined ? null : toFlag(row);
}

interface FlagChangeRow {
  id: number;
  key: string;
  old_value: number | null;
  new_value: number;
  actor: string;
  reason: string | null;
  at: number;
}

const toFlagChange = (row: FlagChangeRow): FlagChange => ({
  id: row.id,
  key: row.key,
  oldValue: row.old_value === null ? null : row.old_value === 1,
  newValue: row.new_value === 1,
  actor: row.actor,
  reason: row.reason,
  at: toDate(row.at),
});

const FLAG_CHANGE_COLUMNS = 'id, key, old_value, new_value, actor, reason, at';

export function setFlag(ctx: SqliteContext, input: SetFlagInput): { flag: FlagRecord; change: FlagChange } {
  const now = toMs(input.now);
  return ctx.immediate(() => {
    const current = ctx.get<FlagRow>(`SELECT ${FLAG_COLUMNS} FROM flags WHERE key = ?`, input.key);
    if (current === undefined) throw new StoreError('FLAG_UNKNOWN', `there is no flag "${input.key}"`);
    const flag = ctx.get<FlagRow>(
      `UPDATE flags SET value = ?, updated_at = ?, updated_by = ? WHERE key = ? RETURNING ${FLAG_COLUMNS}`,
      input.value ? 1 : 0,
      now,
      input.actor,
      input.key,
    );
    const change = ctx.get<FlagChangeRow>(
      `INSERT INTO flag_changes (key, old_value, new_value, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)
        RETURNING ${FLAG_CHANGE_COLUMNS}`,
      input.key,
      current.value,
      input.value ? 1 : 0,
      input.actor,
      input.reason ?? null,
      now,
    );
    if (flag === undefined || change === undefined) throw new Error('unreachable: UPDATE/INSERT … RETURNING gave no row');
    return { flag: toFlag(flag), change: toFlagChange(change) };
  });
}

export function flagHistory(ctx: SqliteContext, key: string | null, options: ListOptions & FlagHistoryFilter = {}): Page<FlagChange> {
  const limit = pageLimit(options.limit);
  const rows = ctx.all<FlagChangeRow>(
    `SELECT ${FLAG_CHANGE_COLUMNS} FROM flag_changes
      WHERE (@key IS NULL OR key = @key) AND (@actor IS NULL OR actor = @actor)
        AND (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until)
        AND (@after IS NULL OR id < @after)
      ORDER BY id DESC LIMIT @limit`,
    {
      key,
      actor: options.actor ?? null,
      since: options.since ? toMs(options.since) : null,
      until: options.until ? toMs(options.until) : null,
      after: decodeCursor(options.cursor),
      limit: limit + 1,
    },
  );
  return toPage(rows.map(toFlagChange), limit, (change) => change.id);
}
