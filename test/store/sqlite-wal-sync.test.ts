/**
 * The WAL fsync off the event loop (src/store/sqlite/wal-sync.ts) and the worker's checkpoint
 * writes that wait for it (src/store/sqlite/checkpoint-batch.ts): callers are coalesced (one
 * fsync in flight, the callers that come meanwhile wait for the next one, which covers them
 * all), a checkpoint write resolves only once an fsync that started after its commit returned,
 * and a failed fsync rejects exactly the callers it was to cover.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CheckpointWrite } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { WalSync } from '../../src/store/sqlite/wal-sync.js';
import { insert, MINUTE, T0 } from '../helpers/engine-fixtures.js';
import { HeldFsyncs, settledYet } from '../helpers/held-fsyncs.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const mark = (eventId: number, leaseOwner: string, stage: string): CheckpointWrite => ({
  eventId,
  leaseOwner,
  outcomes: [],
  start: { eventId, stage, leaseOwner, attempt: 1, startedAt: new Date(T0 + 1000) },
});

describe('SQLite WAL fsync off the event loop', () => {
  const temp = tempDatabaseDir('webpig-wal-sync-store-');
  after(() => temp.remove());

  async function openStore(name: string, held: HeldFsyncs): Promise<SqliteStore> {
    const store = SqliteStore.open(`sqlite:${join(temp.dir, name)}`, { checkpointIntervalMs: 0, walFsyncHook: held.hook });
    await store.migrate(); // migrations commit at FULL: no off-loop fsync yet
    return store;
  }

  it('coalesces callers: one fsync in flight; those that come during it share the next one', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('coalesce.db', held);
    const sync = new WalSync(store.database, held.hook);
    held.holding = true;
    try {
      const first = [sync.sync(), sync.sync(), sync.sync()];
      await held.startedCount(1);
      const during = [sync.sync(), sync.sync()];
      assert.equal(await settledYet(Promise.all(first)), false, 'nobody is told before the fsync returns');
      assert.equal(held.started.length, 1, 'one fsync in flight, the others wait for it');
      held.started[0]!.release();
      await Promise.all(first);
      assert.equal(await settledYet(Promise.race(during)), false, 'the fsync that was in flight does not cover later callers');
      await held.startedCount(2);
      held.started[1]!.release();
      await Promise.all(during);
      assert.equal(held.started.length, 2, 'five callers, two fsyncs');
    } finally {
      await sync.close();
      await store.close();
    }
  });

  it('a failed fsync rejects the callers it covered and every later one, without another fsync', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('fail.db', held);
    const sync = new WalSync(store.database, held.hook);
    held.holding = true;
    try {
      const covered = [sync.sync(), sync.sync()];
      await held.startedCount(1);
      const next = sync.sync();
      held.started[0]!.fail(new Error('EIO'));
      for (const caller of covered) await assert.rejects(caller, { code: 'WAL_SYNC_FAILED', message: /EIO/ });
      // After an fsync error the kernel may have dropped the pages it could not write: a later
      // fsync that succeeds proves nothing, so none is tried and nothing more is acknowledged.
      await assert.rejects(next, { code: 'WAL_SYNC_FAILED' });
      await assert.rejects(sync.sync(), { code: 'WAL_SYNC_FAILED' });
      assert.equal(held.started.length, 1, 'an fsync was tried after one had failed');
    } finally {
      await sync.close();
      await store.close();
    }
  });

  it('a checkpoint write resolves only after an fsync that started after its commit', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('checkpoints.db', held);
    try {
      const [a, b] = [await insert(store), await insert(store)];
      await store.claimNextEvents({ workerIds: ['w#a', 'w#b'], leaseMs: MINUTE, now: new Date(T0) });
      held.holding = true;
      const first = store.writeCheckpoints([mark(a, 'w#a', 's1')]);
      await held.startedCount(1);
      // Committed (visible) but not reported: its fsync is held.
      assert.deepEqual(
        (await store.getCheckpoints(a)).map((c) => c.status),
        ['processing'],
      );
      assert.equal(await settledYet(first), false, 'the write resolved before the fsync covering it returned');
      const second = store.writeCheckpoints([mark(b, 'w#b', 's1')]);
      held.started[0]!.release();
      await first;
      assert.equal(await settledYet(second), false, 'a write committed during an fsync waited only for that one');
      await held.startedCount(2);
      held.started[1]!.release();
      const [result] = await second;
      assert.equal(result?.ok, true);
    } finally {
      await store.close();
    }
  });

  it('a checkpoint write whose fsync fails rejects (committed, not known durable)', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('checkpoints-fail.db', held);
    try {
      const id = await insert(store);
      await store.claimNextEvents({ workerIds: ['w#a'], leaseMs: MINUTE, now: new Date(T0) });
      held.holding = true;
      const write = store.writeCheckpoints([mark(id, 'w#a', 's1')]);
      await held.startedCount(1);
      held.started[0]!.fail(new Error('EIO: fsync failed'));
      await assert.rejects(write, /EIO/);
      assert.equal(store.database.pragma('synchronous', { simple: true }), 2, 'the connection is back at FULL');
    } finally {
      await store.close();
    }
  });
});
