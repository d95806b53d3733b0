import { MigrationError } from '../../core/errors.js';
import type { EventSummary } from '../../core/types.js';
import { refoldingNotice, searchText } from '../search-text.js';
import type { SqliteContext } from './connection.js';

/**
 * Rewrites stored events' search_text with the current searchText() (migration 0014: accents
 * and digit grouping folded, the phone searched). The folding is JavaScript's, so the migration
 * step runs it after the SQL files, in batches: each batch rewrites the events above
 * `done_through` and moves it in one IMMEDIATE transaction, so a process killed midway loses
 * at most its batch and the next migrate() goes on from there; two processes migrating at once
 * take turns. The progress row is deleted when no event is left, and then this does nothing.
 */

/** Events one refresh transaction reads. (Default: 1000, a few ms of write lock a batch) */
export const SEARCH_TEXT_REFRESH_BATCH = 1000;

interface StoredSearchText {
  id: number;
  provider_event_id: string;
  summary: string;
  search_text: string;
}

/**
 * Refreshes every event still to do, batch after batch; returns how many texts changed. `warn`
 * is told first how many events are left (a store of a million takes about a minute, during
 * which a start says nothing else).
 */
export function refreshSearchText(
  ctx: SqliteContext,
  batch: number = SEARCH_TEXT_REFRESH_BATCH,
  warn: (line: string) => void = () => {},
): number {
  const table = ctx.get<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'search_text_refresh'");
  if (table === undefined) return 0; // a database migrated only up to an older version (tests)
  // Read first, outside a transaction: once done, a start takes no write lock for this.
  const progress = ctx.get<{ through: number }>('SELECT done_through AS through FROM search_text_refresh WHERE id = 1');
  if (progress === undefined) return 0;
  const left = ctx.get<{ n: number }>('SELECT count(*) AS n FROM events WHERE id > ?', progress.through)?.n ?? 0;
  if (left > 0) warn(refoldingNotice('0014_search_text_folded', left));
  let changed = 0;
  try {
    for (let step = refreshBatch(ctx, batch); step !== null; step = refreshBatch(ctx, batch)) changed += step;
  } catch (err) {
    throw refreshFailed(ctx, err);
  }
  return changed;
}

/** Says where the refresh stopped and that migrating again goes on from there. */
function refreshFailed(ctx: SqliteContext, err: unknown): MigrationError {
  let through: number | undefined;
  try {
    through = ctx.get<{ through: number }>('SELECT done_through AS through FROM search_text_refresh WHERE id = 1')?.through;
  } catch {
    through = undefined; // the database itself failed: the message says what did
  }
  return new MigrationError(
    'MIGRATION_FAILED',
    `migration 0014_search_text_folded: rewriting the search text of the events after id ${through ?? '?'} failed: ` +
      `${(err as Error).message}; the events up to it are done, and migrating again (webpig migrate, or any start) goes on from there`,
    { cause: err },
  );
}

/** One batch: how many of its texts changed, or null when nothing is left to refresh. */
function refreshBatch(ctx: SqliteContext, limit: number): number | null {
  return ctx.immediate(() => {
    const from = ctx.get<{ through: number }>('SELECT done_through AS through FROM search_text_refresh WHERE id = 1')?.through;
    if (from === undefined) return null;
    const rows = ctx.all<StoredSearchText>(
      'SELECT id, provider_event_id, summary, search_text FROM events WHERE id > ? ORDER BY id LIMIT ?',
      from,
      limit,
    );
    let changed = 0;
    for (const row of rows) {
      const text = searchText(row.provider_event_id, parsedSummary(row.summary));
      // Unchanged rows are not written: each write also rewrites the row's trigrams (0011's trigger).
      if (text === row.search_text) continue;
      ctx.run('UPDATE events SET search_text = ? WHERE id = ?', text, row.id);
      changed += 1;
    }
    const last = rows.at(-1);
    if (last === undefined) ctx.run('DELETE FROM search_text_refresh');
    else ctx.run('UPDATE search_text_refresh SET done_through = ? WHERE id = 1', last.id);
    return changed;
  });
}

function parsedSummary(json: string): EventSummary {
  const summary = JSON.parse(json) as EventSummary | null;
  return summary ?? {};
}
