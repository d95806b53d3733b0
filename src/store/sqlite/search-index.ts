import type { SqliteContext } from './connection.js';

/**
 * The text search's trigram index, written after the commit (migration 0012): ingestion's
 * transaction writes the event only; this indexer adds the events above `indexed_through` to
 * `events_search` a few hundred at a time, shortly after. FTS5 writes a batch for ~25 µs of CPU
 * an event, against ~175 µs one event a transaction inside the delivery's commit. Until an
 * event is indexed the list's search scans it (events.ts), so results never wait for this.
 */

/** Most events one indexing transaction adds; more are added by the next pass at once. (Default: 1000) */
export const SEARCH_INDEX_BATCH = 1000;

/**
 * How long after an insert the indexer runs: deliveries arriving meanwhile join its batch.
 * (Default: 50 ms, ~100 events at 2,000 deliveries/s, a few ms of loop time a pass)
 */
export const SEARCH_INDEX_DELAY_MS = 50;

/** After a failed pass (disk full, another process's lock held too long), the next try. (Default: 1 s) */
const RETRY_DELAY_MS = 1_000;

/**
 * Indexes up to `limit` events not indexed yet, oldest first, in one transaction that also
 * moves `indexed_through`: the index and its progress commit together. The commit is not
 * synced by itself (the index is derived from rows already durable); the next synced commit
 * covers it (WAL order), and after a power cut the two are lost together and redone.
 * Returns how many events it indexed.
 */
export function indexPendingSearch(ctx: SqliteContext, limit: number = SEARCH_INDEX_BATCH): number {
  return ctx.unsyncedCommit(() =>
    ctx.immediate(() => {
      const from = ctx.get<{ through: number }>('SELECT indexed_through AS through FROM events_search_progress')?.through ?? 0;
      const to = ctx.get<{ last: number | null }>(
        'SELECT max(id) AS last FROM (SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?)',
        from,
        limit,
      )?.last;
      if (to === undefined || to === null) return 0;
      const added = ctx.run(
        'INSERT INTO events_search (rowid, search_text) SELECT id, search_text FROM events WHERE id > ? AND id <= ?',
        from,
        to,
      );
      ctx.run('UPDATE events_search_progress SET indexed_through = ?', to);
      return added.changes;
    }),
  );
}

/**
 * Runs indexPendingSearch shortly after inserts, in this process: one timer at a time, passes
 * back to back while a backlog remains (a process restarted after a crash catches up this way).
 * A failed pass is tried again later; searches stay exact meanwhile.
 */
export class SearchIndexer {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: SqliteContext,
    private readonly delayMs: number = SEARCH_INDEX_DELAY_MS,
  ) {}

  /** Asks for a pass after the delay, unless one is already due. */
  schedule(delayMs: number = this.delayMs): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => this.pass(), delayMs);
    // Pending events are indexed by whichever process runs next; they must not keep this one alive.
    this.timer.unref();
  }

  /** Indexes everything pending now, in batches (tests, shutdown-free catch-up). */
  indexAll(): number {
    let total = 0;
    for (let added = indexPendingSearch(this.ctx); added > 0; added = indexPendingSearch(this.ctx)) total += added;
    return total;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private pass(): void {
    this.timer = null;
    if (this.stopped) return;
    let added: number;
    try {
      added = indexPendingSearch(this.ctx);
    } catch {
      this.schedule(RETRY_DELAY_MS);
      return;
    }
    if (added >= SEARCH_INDEX_BATCH) this.schedule(0);
  }
}
