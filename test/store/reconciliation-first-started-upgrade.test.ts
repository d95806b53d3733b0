/**
 * SQLite migration 0017 / PostgreSQL 0019: a source whose runs started before it keeps its last
 * recorded start (or its holder's claim, when no start was recorded) as its first, the latest the
 * first start can have been; one no run started has none. Runs after the upgrade do not move it.
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

const STARTED = new Date('2026-12-05T14:00:00.000Z');
const CLAIMED = new Date('2026-12-05T15:00:00.000Z');
const skip = await postgresSkip();

/** Rows as the webpig before the migration left them: a started run, a claim alone, a row no run made. */
const ROWS: Array<[sql: string, values: Date[]]> = [
  [`INSERT INTO reconciliation_state (source, last_started_at) VALUES ('stripe', $1)`, [STARTED]],
  [
    `INSERT INTO reconciliation_state (source, run_owner, run_started_at, run_lease_until) VALUES ('mercadopago', 'gone', $1, $2)`,
    [CLAIMED, CLAIMED],
  ],
  [`INSERT INTO reconciliation_state (source, api_base_url) VALUES ('epayco', 'http://127.0.0.1:3000/sandbox/epayco')`, []],
];

async function afterUpgrade(store: Store): Promise<void> {
  const firsts = async () => (await store.listReconciliationStates()).map((s) => [s.source, s.firstStartedAt]);
  assert.deepEqual(await firsts(), [
    ['epayco', null],
    ['mercadopago', CLAIMED],
    ['stripe', STARTED],
  ]);
  const later = new Date('2026-12-07T09:00:00.000Z');
  for (const source of ['stripe', 'epayco']) {
    assert.equal(await store.recordReconciliationStart(source, later, { since: STARTED, cursor: null }), true);
  }
  assert.deepEqual(await firsts(), [
    ['epayco', later],
    ['mercadopago', CLAIMED],
    ['stripe', STARTED],
  ]);
}

describe('reconciliation first start: upgrading a database whose runs started before it', () => {
  it('SQLite 0016 → 0017', async () => {
    const temp = tempDatabaseDir('webpig-first-started-');
    try {
      const file = join(temp.dir, 'v16.db');
      const old = sqliteAtVersion(file, 16);
      for (const [sql, values] of ROWS) {
        // PostgreSQL's numbered placeholders ($1) become SQLite's positional ones.
        old.db.prepare(sql.replace(/\$\d/g, '?')).run(...values.map((date) => date.getTime()));
      }
      old.close();
      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        assert.deepEqual((await store.migrate()).applied, ['0017_reconciliation_first_started']);
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
    it('PostgreSQL 0018 → 0019', async () => {
      const { url, schema } = await schemas.create();
      const pool = new pg.Pool({ connectionString: postgresUrl() });
      const store = await PostgresStore.open(url);
      try {
        await migratePostgres(pool, schema, postgresMigrations().slice(0, 18));
        for (const [sql, values] of ROWS) await queryIn(schema, sql, values);
        assert.deepEqual((await migratePostgres(pool, schema, postgresMigrations())).applied, ['0019_reconciliation_first_started']);
        await afterUpgrade(store);
      } finally {
        await store.close();
        await pool.end();
      }
    });
  });
});
