/**
 * The SQLite connection's synchronous level (src/store/sqlite/connection.ts): an unsynced
 * commit leaves the connection at NORMAL, and every commit that must sync in itself (an
 * `immediate` transaction, a write outside any transaction, the raw connection handed out)
 * gets the connection's own level (FULL) back first. A commit at NORMAL there would be
 * acknowledged before it is on disk.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteDatabase, SqliteContext } from '../../src/store/sqlite/connection.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const FULL = 2;
const NORMAL = 1;

describe('SQLite synchronous level between commits', () => {
  const temp = tempDatabaseDir('webpig-sync-level-');
  after(() => temp.remove());

  /** Runs `check` on a new connection to database `name` holding one table `t`, then closes it. */
  function withContext(name: string, check: (ctx: SqliteContext) => void): void {
    const ctx = new SqliteContext(openSqliteDatabase(join(temp.dir, name)), { intervalMs: 0 });
    try {
      ctx.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      check(ctx);
    } finally {
      ctx.close();
    }
  }
  const level = (ctx: SqliteContext): number => ctx.db.pragma('synchronous', { simple: true }) as number;
  const unsyncedInsert = (ctx: SqliteContext, v: string): void => {
    ctx.unsyncedCommit(() => ctx.immediate(() => ctx.run('INSERT INTO t (v) VALUES (?)', v)));
  };

  it('commits an immediate transaction after an unsynced commit at FULL', () => {
    withContext('immediate.db', (ctx) => {
      unsyncedInsert(ctx, 'a');
      const during = ctx.immediate(() => {
        ctx.run('INSERT INTO t (v) VALUES (?)', 'b');
        return level(ctx);
      });
      assert.equal(during, FULL);
    });
  });

  it('commits a write outside any transaction after an unsynced commit at FULL', () => {
    withContext('autocommit.db', (ctx) => {
      unsyncedInsert(ctx, 'a');
      ctx.run('INSERT INTO t (v) VALUES (?)', 'b');
      // Nothing but a commit outside unsyncedCommit sets the level back: it was FULL for the write.
      assert.equal(level(ctx), FULL);
      // A write statement that returns rows (INSERT … RETURNING through get) is a write too.
      unsyncedInsert(ctx, 'c');
      ctx.get('INSERT INTO t (v) VALUES (?) RETURNING id', 'd');
      assert.equal(level(ctx), FULL);
    });
  });

  it('keeps NORMAL across unsynced commits and reads: no PRAGMA pair a commit', () => {
    withContext('unsynced.db', (ctx) => {
      unsyncedInsert(ctx, 'a');
      assert.equal(level(ctx), NORMAL);
      ctx.get('SELECT count(*) AS n FROM t');
      assert.equal(level(ctx), NORMAL);
      const during = ctx.unsyncedCommit(() => ctx.immediate(() => level(ctx)));
      assert.equal(during, NORMAL);
    });
  });

  it("hands out the store's raw connection at FULL after an unsynced write", async () => {
    const store = SqliteStore.open(`sqlite:${join(temp.dir, 'store.db')}`, { checkpointIntervalMs: 0 });
    try {
      await store.migrate();
      const now = new Date();
      await store.setEntityState({ entityKey: 'INV-1', state: 'paid', eventId: 1, occurredAt: now, now, expectedState: null });
      assert.equal(store.database.pragma('synchronous', { simple: true }), FULL);
    } finally {
      await store.close();
    }
  });
});
