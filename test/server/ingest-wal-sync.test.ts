/**
 * SQLite ingestion commits with its fsync off the event loop (src/store/sqlite/wal-sync.ts):
 * the reply must still wait for the WAL to be synced, the connection must be back at
 * synchronous=FULL for every other write, and a refused batch must leave it so too.
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewEvent } from '../../src/store/store.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { customBody, sendDelivery, signCustom, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { delivery } from '../helpers/engine-fixtures.js';

type SyncMethod = (this: FileHandle) => Promise<void>;

/**
 * Holds every FileHandle.datasync() (WalSync syncs the WAL with fdatasync, as SQLite itself
 * does) until released, noting which file each was for. The real sync still runs once
 * released: this only controls when.
 */
async function gateFileSyncs(): Promise<{ synced: string[]; waiting: () => number; release: () => void; restore: () => void }> {
  const probe = await open(process.execPath, 'r');
  const prototype = Object.getPrototypeOf(probe) as { datasync: SyncMethod };
  await probe.close();
  const original = prototype.datasync;
  const synced: string[] = [];
  const held: Array<() => void> = [];
  let open_ = false;
  prototype.datasync = async function gatedSync(this: FileHandle): Promise<void> {
    synced.push(process.platform === 'linux' ? readlinkSync(`/proc/self/fd/${this.fd}`) : String(this.fd));
    if (!open_) await new Promise<void>((resolve) => held.push(resolve));
    return original.call(this);
  };
  return {
    synced,
    waiting: () => held.length,
    release: () => {
      open_ = true;
      for (const resolve of held.splice(0)) resolve();
    },
    restore: () => {
      prototype.datasync = original;
    },
  };
}

const settledYet = async (promise: Promise<unknown>): Promise<boolean> => {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  // Several turns of the event loop: a commit that did not wait for the sync is done by then.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
};

describe('SQLite ingestion syncs the WAL off the event loop', () => {
  const temp = tempDatabaseDir('webpig-wal-sync-');
  let gate: Awaited<ReturnType<typeof gateFileSyncs>> | null = null;
  afterEach(() => {
    gate?.release();
    gate?.restore();
    gate = null;
  });
  after(() => temp.remove());

  describe('through the HTTP endpoint', () => {
    let server: IngestServer;
    before(async () => {
      server = await startIngestServer({ store: SqliteStore.open(`sqlite:${join(temp.dir, 'http.db')}`) });
    });
    after(async () => server.close());

    it('answers 200 only after the WAL holding the delivery was synced', async () => {
      // One delivery first, so the WAL file exists and its descriptor is open.
      const first = await sendDelivery(
        server.baseUrl,
        'shop',
        signCustom({ secret: TEST_SECRETS.custom, body: customBody(), timestampHeader: 'x-webpig-timestamp' }),
      );
      assert.equal(first.status, 200);

      gate = await gateFileSyncs();
      const reply = sendDelivery(
        server.baseUrl,
        'shop',
        signCustom({ secret: TEST_SECRETS.custom, body: customBody({ id: 'held' }), timestampHeader: 'x-webpig-timestamp' }),
      );
      assert.equal(await settledYet(reply), false, 'no reply while the WAL sync is held');
      assert.ok(gate.waiting() >= 1, 'the commit waits on a file sync');
      if (process.platform === 'linux') assert.match(gate.synced[0] ?? '', /http\.db-wal$/, 'the file synced is the WAL');
      // Committed (visible to readers) though not yet acknowledged: a crash now costs a provider retry, never a loss.
      assert.ok(await server.store.findEventByProviderId('shop', 'held'));
      gate.release();
      assert.equal((await reply).status, 200);
    });
  });

  describe('the store', () => {
    let store: SqliteStore;
    before(async () => {
      store = SqliteStore.open(`sqlite:${join(temp.dir, 'store.db')}`);
      await store.migrate();
    });
    after(async () => store.close());

    it('leaves the connection at synchronous=FULL while the sync runs and after it', async () => {
      await store.insertEvent(delivery({ providerEventId: 'warm-up' }));
      gate = await gateFileSyncs();
      const pending = store.insertEvents([delivery({ providerEventId: 'a' }), delivery({ providerEventId: 'b' })]);
      assert.equal(await settledYet(pending), false, 'insertEvents waits for the WAL sync');
      assert.equal(store.database.pragma('synchronous', { simple: true }), 2, 'other writes meanwhile sync in their COMMIT');
      gate.release();
      assert.equal((await pending).length, 2);
      assert.equal(store.database.pragma('synchronous', { simple: true }), 2);
    });

    it('restores synchronous=FULL when the database refuses the batch', async () => {
      const refused = delivery({ providerEventId: 'refused', transactionStatus: 'paid' as NewEvent['transactionStatus'] }); // fails the CHECK
      await assert.rejects(store.insertEvents([delivery({ providerEventId: 'ok' }), refused]), { code: 'CONSTRAINT_VIOLATED' });
      assert.equal(store.database.pragma('synchronous', { simple: true }), 2);
      assert.equal(await store.findEventByProviderId('shop', 'ok'), null, 'nothing of the refused batch is stored');
    });
  });
});
