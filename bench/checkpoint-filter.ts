/**
 * The list's checkpoint filters on SQLite at scale: `node --import tsx bench/checkpoint-filter.ts
 * [--events N]`. N finished events (Default: 200,000) with 11 checkpoints each are written into a
 * store migrated to this tree's schema; one event in 997 has a stage in error and the later ones
 * still `processing`. Then the first page (50) of `listEvents` is timed for a stage's status
 * (`checkpoint: { status: 'error' }`, with and without `stages`) and for "needs attention", with
 * the schema as it is and again with checkpoints' old (status, stage) index put back (migration
 * 0013 dropped it). No ANALYZE, as in the store. Printed: ms a page (best of 3) and the plan.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SqliteContext } from '../src/store/sqlite/connection.js';
import { listEventsQuery } from '../src/store/sqlite/events.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { EventFilter } from '../src/store/store-types.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const events = Number(values.events);
const STAGES = Array.from({ length: 11 }, (_, i) => `stage_${i + 1}`);
const FAILED_EVERY = 997;

const FILL_EVENTS = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  INSERT INTO events (source, provider_event_id, entity_key, type, transaction_status, occurred_at, received_at,
                      summary, status, updated_at)
  SELECT 'epayco', 'p-' || i, 'INV-' || i, 'payment', 'accepted', i, i, '{}',
         CASE WHEN i % ${FAILED_EVERY} = 0 THEN 'retrying' ELSE 'succeeded' END, i FROM n`;
// Stage k of a failed event: success before the 6th, error at it, processing after it.
const FILL_CHECKPOINTS = `INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, completed_at, data, updated_at)
  SELECT e.id, s.value,
         CASE WHEN e.id % ${FAILED_EVERY} <> 0 OR s.key < 5 THEN 'success' WHEN s.key = 5 THEN 'error' ELSE 'processing' END,
         1, e.id, e.id, '{"ok":true}', e.id
  FROM events e, json_each(?) s`;

const FILL_BODIES = `INSERT INTO event_bodies (event_id, raw_body, payload) SELECT id, CAST('{}' AS BLOB), '{}' FROM events`;

const FILTERS: Record<string, EventFilter> = {
  'a stage in error': { checkpoint: { status: 'error' } },
  'stage_6 in error': { checkpoint: { status: 'error', stages: ['stage_6'] } },
  'needs attention': { needsAttention: true },
};

const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-checkpoint-filter-'));
const store = SqliteStore.open(`sqlite:${join(dir, 'filter.db')}`, { checkpointIntervalMs: 0 });
try {
  await store.migrate();
  const fillStarted = performance.now();
  store.database.transaction(() => {
    store.database.prepare(FILL_EVENTS).run(events);
    store.database.prepare(FILL_BODIES).run();
    store.database.prepare(FILL_CHECKPOINTS).run(JSON.stringify(STAGES));
  })();
  console.log(
    `Checkpoint filters, SQLite: ${events} events × ${STAGES.length} checkpoints (filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const ctx = new SqliteContext(store.database, { intervalMs: 0 });
  const timeFilters = async (schema: string): Promise<void> => {
    for (const [name, filter] of Object.entries(FILTERS)) {
      let best = Infinity;
      let found = 0;
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        found = (await store.listEvents(filter, { limit: 50 })).items.length;
        best = Math.min(best, performance.now() - started);
      }
      const { sql, params } = listEventsQuery(ctx, filter, { limit: 50 });
      const plan = (store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((step) => step.detail)
        .join('; ');
      console.log(`  ${schema.padEnd(28)} ${name.padEnd(18)} ${best.toFixed(1).padStart(8)} ms a page of ${found}   ${plan}`);
    }
  };
  await timeFilters("this tree's schema");
  store.database.exec('CREATE INDEX checkpoints_status ON checkpoints (status, stage)');
  await timeFilters('with (status, stage) index');
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
