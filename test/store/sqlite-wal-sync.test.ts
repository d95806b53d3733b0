/**
 * The WAL fsync off the event loop (src/store/sqlite/wal-sync.ts) and the worker's checkpoint
 * writes that wait for it (src/store/sqlite/checkpoint-batch.ts): callers are coalesced (those
 * of one synchronous run share an fsync; with every slot busy, those that come share the next),
 * up to N fsyncs run at once, a caller or a checkpoint write resolves only once an fsync that
 * started after it (after its commit) returned, and after a failed fsync nothing more resolves.
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

  it('coalesces callers: those of one run share an fsync; with every slot busy, later ones share the next', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('coalesce.db', held);
    const sync = new WalSync(store.database, held.hook, 1);
    held.holding = true;
    try {
      const first = [sync.sync(), sync.sync(), sync.sync()];
      await held.startedCount(1);
      const during = [sync.sync(), sync.sync()];
      assert.equal(await settledYet(Promise.all(first)), false, 'nobody is told before the fsync returns');
      assert.equal(held.started.length, 1, 'one fsync in flight (one slot), the others wait for it');
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

  it('two fsyncs in flight: a caller during one starts another at once, and only a later fsync resolves it', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('in-flight.db', held);
    const sync = new WalSync(store.database, held.hook, 2);
    held.holding = true;
    try {
      const a = sync.sync();
      await held.startedCount(1);
      const b = sync.sync(); // fsync 1 runs: b's own starts beside it
      await held.startedCount(2);
      const c = sync.sync(); // both slots busy: c waits for the next to start
      assert.equal(await settledYet(c), false);
      assert.equal(held.started.length, 2, 'at most two fsyncs in flight');
      held.started[0]!.release();
      await a;
      assert.equal(await settledYet(b), false, 'b was resolved by the fsync that started before it');
      assert.equal(await settledYet(c), false, 'c was resolved by the fsync that started before it');
      await held.startedCount(3); // fsync 1's slot is free: c's fsync starts
      held.started[2]!.release();
      await c;
      held.started[1]!.release();
      await b;
      assert.equal(held.started.length, 3, 'three callers, three fsyncs');
    } finally {
      await sync.close();
      await store.close();
    }
  });

  it('a failed fsync rejects the callers it covered, those of an fsync beside it, and every later one', async () => {
    const held = new HeldFsyncs();
    const store = await openStore('fail.db', held);
    const sync = new WalSync(store.database, held.hook, 2);
    held.holding = true;
    try {
      const covered = [sync.sync(), sync.sync()];
      await held.startedCount(1);
      const beside = sync.sync();
      await held.startedCount(2);
      held.started[0]!.fail(new Error('EIO'));
      for (const caller of covered) await assert.rejects(caller, { code: 'WAL_SYNC_FAILED', message: /EIO/ });
      // After an fsync error the kernel may have dropped the pages it could not write: an fsync
      // that succeeds (even one already running) proves nothing, so nothing more is acknowledged
      // and no fsync is tried again.
      held.started[1]!.release();
      await assert.rejects(beside, { code: 'WAL_SYNC_FAILED' });
      await assert.rejects(sync.sync(), { code: 'WAL_SYNC_FAILED' });
      assert.equal(held.started.length, 2, 'an fsync was tried after one had failed');
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
      assert.equal(await settledYet(second), false, 'a write committed during an fsync was resolved by it');
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
