/**
 * One entity's events among many of its source, on SQLite without statistics (as a running
 * webpig's database is: the store never runs ANALYZE): `listEvents({ source, entityKey,
 * transactionStatus }, { limit: 100 })`, the Facturador's reversal look-up, made once a
 * payment (examples/facturador/payments.ts). The store's page query (through events_entity)
 * against the same query on the bare table (the planner's own pick, which was the store's
 * before 2026-12-06), in the same run, at growing sizes. Reads only; the fill is one
 * transaction (no durability is measured here).
 *
 *   node --import tsx bench/entity-lookup.ts [--sizes 1000,10000,100000] [--lookups 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { EventFilter } from '../src/store/store.js';
import { SqliteContext } from '../src/store/sqlite/connection.js';
import { eventFilterSql, listEventsQuery } from '../src/store/sqlite/events.js';
import { EVENT_COLUMNS } from '../src/store/sqlite/rows.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '1000,10000,100000' }, lookups: { type: 'string', default: '2000' } },
});
const sizes = values.sizes.split(',').map(Number);
const lookups = Number(values.lookups);

// Every event an ePayco payment of its own invoice; one in ten reversed.
const FILL = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  INSERT INTO events (source, provider_event_id, entity_key, type, transaction_status, occurred_at, received_at,
                      summary, status, updated_at)
  SELECT 'epayco', 'p' || i, 'INV-' || i, 'payment', CASE WHEN i % 10 = 0 THEN 'reversed' ELSE 'accepted' END,
         i, i, '{}', 'succeeded', i FROM n`;
const BODIES = `INSERT INTO event_bodies (event_id, raw_body, payload) SELECT id, CAST('{}' AS BLOB), '{}' FROM events`;

/** Mean µs a call of `query` over `lookups` random invoices. */
function timed(size: number, query: (filter: EventFilter) => unknown[]): number {
  const started = performance.now();
  for (let i = 0; i < lookups; i++) {
    const invoice = 1 + Math.floor(Math.random() * size);
    query({ source: 'epayco', entityKey: `INV-${invoice}`, transactionStatus: 'reversed' });
  }
  return ((performance.now() - started) * 1000) / lookups;
}

console.log(
  `entity look-up on SQLite without statistics, ${lookups} look-ups a size, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const size of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-entity-'));
  const store = SqliteStore.open(`sqlite:${join(dir, 'entity.db')}`);
  try {
    await store.migrate();
    store.database.transaction(() => {
      store.database.prepare(FILL).run(size);
      store.database.prepare(BODIES).run();
    })();
    const ctx = new SqliteContext(store.database, { intervalMs: 0 });
    const storeQuery = (filter: EventFilter): unknown[] => {
      const { sql, params } = listEventsQuery(ctx, filter, { limit: 100 });
      return store.database.prepare(sql).all(...params);
    };
    const bareQuery = (filter: EventFilter): unknown[] => {
      const { where, params } = eventFilterSql(filter);
      return store.database.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${where} ORDER BY id DESC LIMIT 101`).all(...params);
    };
    // Alternating, twice each, so a burst of load on the shared machine lands on both.
    const store1 = timed(size, storeQuery);
    const bare1 = timed(size, bareQuery);
    const store2 = timed(size, storeQuery);
    const bare2 = timed(size, bareQuery);
    const ours = Math.min(store1, store2);
    const bare = Math.min(bare1, bare2);
    console.log(
      `  ${size.toLocaleString('en').padStart(9)} events: store (events_entity) ${ours.toFixed(1).padStart(8)} µs a look-up; ` +
        `bare table (planner's pick) ${bare.toFixed(1).padStart(9)} µs; ratio ${(bare / ours).toFixed(0)}×`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
