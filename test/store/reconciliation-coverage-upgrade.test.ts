/**
 * SQLite migration 0015 / PostgreSQL 0017: a source reconciled by the webpig before them keeps
 * its last run and says no coverage (none was recorded, so the panel claims none); the first run
 * finished after the upgrade records the window it listed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migratePostgres, postgresMigrations } from '../../src/store/postgres/migrate.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresSkip, postgresUrl, queryIn, withTestSchema } from '../helpers/postgres.js';
import { sqliteAtVersion, tempDatabaseDir } from '../helpers/sqlite.js';

const FINISHED = new Date('2026-12-05T14:01:00.000Z');
const STARTED = new Date('2026-12-05T14:00:00.000Z');
const skip = await postgresSkip();

async function afterUpgrade(store: Store): Promise<void> {
  const before = await store.getReconciliationState('stripe');
  assert.deepEqual(
    before && { lastFinishedAt: before.lastFinishedAt, lastListed: before.lastListed, covered: before.covered },
    { lastFinishedAt: FINISHED, lastListed: 40, covered: null },
    'the old run is kept, and claims no window it never recorded',
  );
  const since = new Date('2026-12-06T09:00:00.000Z');
  const start = new Date('2026-12-07T09:00:00.000Z');
  await store.recordReconciliationStart('stripe', start, { since, cursor: null });
  await store.recordReconciliationEnd({
    source: 'stripe',
    now: new Date(start.getTime() + 60_000),
    listed: 3,
    recovered: 0,
    error: null,
    covered: { by: 'dates', from: since, until: start },
  });
  assert.deepEqual((await store.getReconciliationState('stripe'))?.covered, { by: 'dates', from: since, until: start });
}

describe('reconciliation coverage: upgrading a database that was reconciled before it', () => {
  it('SQLite 0014 → 0015', async () => {
    const temp = tempDatabaseDir('webpig-coverage-');
    try {
      const file = join(temp.dir, 'v14.db');
      const old = sqliteAtVersion(file, 14);
      old.db
        .prepare(
          `INSERT INTO reconciliation_state (source, last_started_at, last_finished_at, last_listed)
           VALUES ('stripe', ?, ?, 40)`,
        )
        .run(STARTED.getTime(), FINISHED.getTime());
      old.close();
      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        assert.deepEqual((await store.migrate()).applied.slice(0, 1), ['0015_reconciliation_coverage']);
        await afterUpgrade(store);
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });

  describe('PostgreSQL', { skip }, () => {
    const schemas = withTestSchema();
    it('PostgreSQL 0016 → 0017', async () => {
      const { url, schema } = await schemas.create();
      const pool = new pg.Pool({ connectionString: postgresUrl() });
      const store = await PostgresStore.open(url);
      try {
        await migratePostgres(pool, schema, postgresMigrations().slice(0, 16));
        await queryIn(
          schema,
          `INSERT INTO reconciliation_state (source, last_started_at, last_finished_at, last_listed) VALUES ('stripe', $1, $2, 40)`,
          [STARTED, FINISHED],
        );
        await migratePostgres(pool, schema, postgresMigrations());
        assert.equal(postgresMigrations()[16]?.name, '0017_reconciliation_coverage');
        await afterUpgrade(store);
      } finally {
        await store.close();
        await pool.end();
      }
    });
  });
});
