import type pg from 'pg';
import { MigrationError } from '../../core/errors.js';
import type { EventSummary } from '../../core/types.js';
import { refoldingNotice, searchText } from '../search-text.js';
import { inTransaction, quoteIdent } from './connection.js';

/**
 * Rewrites stored events' search_text with the current searchText() (migration 0016: accents
 * and digit grouping folded, the phone searched). The folding is JavaScript's, so the migration
 * step runs it after the SQL files, in batches: each batch rewrites the events above
 * `done_through` and moves it in one transaction, holding the progress row's lock, so a process
 * killed midway loses at most its batch and the next migrate() goes on from there; two
 * processes migrating at once take turns. The progress row is deleted when no event is left,
 * and then this does nothing.
 */

/** Events one refresh transaction reads. (Default: 1000, one round trip each way) */
export const SEARCH_TEXT_REFRESH_BATCH = 1000;

interface StoredSearchText {
  id: string;
  provider_event_id: string;
  /** The summary as jsonb's text, passed back unchanged as the guard of the update. */
  summary: string;
  search_text: string;
}

/**
 * Refreshes every event still to do in `schema`, batch after batch; returns how many texts
 * changed. `warn` is told first how many events are left (a store of a million takes about a
 * minute, during which a start says nothing else).
 */
export async function refreshSearchText(
  pool: pg.Pool,
  schema: string,
  batch: number = SEARCH_TEXT_REFRESH_BATCH,
  warn: (line: string) => void = () => {},
): Promise<number> {
  const table = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
    `${quoteIdent(schema)}.search_text_refresh`,
  ]);
  if (!table.rows[0]?.found) return 0; // a schema migrated only up to an older version (tests)
  // Read first, outside a transaction: once done, a start takes no row lock for this.
  const progress = await pool.query<{ through: string }>(`SELECT done_through AS through FROM ${quoteIdent(schema)}.search_text_refresh`);
  const through = progress.rows[0]?.through;
  if (through === undefined) return 0;
  const left = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.events WHERE id > $1`, [through]);
  const count = Number(left.rows[0]?.n ?? 0);
  if (count > 0) warn(refoldingNotice('0016_search_text_folded', count));
  let changed = 0;
  try {
    for (let step = await refreshBatch(pool, schema, batch); step !== null; step = await refreshBatch(pool, schema, batch)) changed += step;
  } catch (err) {
    throw await refreshFailed(pool, schema, err);
  }
  return changed;
}

/** Says where the refresh stopped and that migrating again goes on from there. */
async function refreshFailed(pool: pg.Pool, schema: string, err: unknown): Promise<MigrationError> {
  const through = await pool
    .query<{ through: string }>(`SELECT done_through AS through FROM ${quoteIdent(schema)}.search_text_refresh WHERE id = 1`)
    .then((result) => result.rows[0]?.through)
    .catch(() => undefined);
  return new MigrationError(
    'MIGRATION_FAILED',
    `migration 0016_search_text_folded: rewriting the search text of the events after id ${through ?? '?'} failed: ` +
      `${(err as Error).message}; the events up to it are done, and migrating again (webpig migrate, or any start) goes on from there`,
    { cause: err },
  );
}

/** One batch: how many of its texts changed, or null when nothing is left to refresh. */
function refreshBatch(pool: pg.Pool, schema: string, limit: number): Promise<number | null> {
  return inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    const progress = await client.query<{ through: string }>(
      'SELECT done_through AS through FROM search_text_refresh WHERE id = 1 FOR UPDATE',
    );
    const from = progress.rows[0]?.through;
    if (from === undefined) return null;
    const rows = (
      await client.query<StoredSearchText>(
        'SELECT id, provider_event_id, summary::text AS summary, search_text FROM events WHERE id > $1 ORDER BY id LIMIT $2',
        [from, limit],
      )
    ).rows;
    const rewrites = rows.flatMap((row) => {
      const text = searchText(row.provider_event_id, (JSON.parse(row.summary) as EventSummary | null) ?? {});
      // Unchanged rows are not written: each write also rewrites the row's trigram index entries.
      return text === row.search_text ? [] : [{ id: row.id, summary: row.summary, search_text: text }];
    });
    let changed = 0;
    if (rewrites.length > 0) {
      // Only where the summary is still the one the text was made from: a checkpoint that patched
      // it meanwhile wrote its own text, from the new summary, with the current searchText().
      const updated = await client.query(
        `UPDATE events e SET search_text = r.search_text
           FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, summary text, search_text text)
          WHERE e.id = r.id AND e.summary = r.summary::jsonb`,
        [JSON.stringify(rewrites)],
      );
      changed = updated.rowCount ?? 0;
    }
    const last = rows.at(-1);
    if (last === undefined) await client.query('DELETE FROM search_text_refresh');
    else await client.query('UPDATE search_text_refresh SET done_through = $1 WHERE id = 1', [last.id]);
    return changed;
  });
}
