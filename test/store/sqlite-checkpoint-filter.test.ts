/**
 * The list's checkpoint filters (a stage's status, "needs attention") find each event's
 * checkpoints by their key (event_id, stage). Without statistics SQLite had answered them through
 * checkpoints' (status, stage) index, walking every checkpoint of that status for every event of
 * the page (seconds at 200,000 events); migration 0013 dropped that index.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteContext } from '../../src/store/sqlite/connection.js';
import { listEventsQuery } from '../../src/store/sqlite/events.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { EventFilter } from '../../src/store/store-types.js';

describe('SqliteStore checkpoint filters', () => {
  it("seek each event's checkpoints by their key, never through a status index", async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const ctx = new SqliteContext(store.database, { intervalMs: 0 });
    const filters: EventFilter[] = [
      { checkpoint: { status: 'error' } },
      { checkpoint: { status: 'error', stages: ['invoice'] } },
      { needsAttention: true },
    ];
    for (const filter of filters) {
      const { sql, params } = listEventsQuery(ctx, filter);
      const plan = (store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((step) => step.detail)
        .join('; ');
      assert.match(plan, /SEARCH c .*USING (COVERING )?INDEX sqlite_autoindex_checkpoints_1 \(event_id=\?/, JSON.stringify(filter));
      assert.doesNotMatch(plan, /\(status=\?/, JSON.stringify(filter));
    }
    await store.close();
  });
});
