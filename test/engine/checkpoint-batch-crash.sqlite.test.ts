/**
 * Group-committed checkpoints under a crash, on SQLite: a worker process runs many events at
 * once, so its checkpoint writes share one IMMEDIATE transaction, and is SIGKILLed after every
 * write of a batch of two or more events was applied and before the COMMIT
 * (test/helpers/sqlite-batch-crash-worker.ts). Those writes are lost; nothing acknowledged may
 * be: no stage ran its effect before its own `processing` mark was durable, so the restarted
 * worker finishes every event and every effect exists once — `ledger`'s receiver has no
 * idempotency key, only reconcile, which runs only for a stage found `processing`.
 *
 * The same after the COMMIT and before its WAL fsync (the fsync runs off the event loop,
 * src/store/sqlite/wal-sync.ts; test/helpers/sqlite-batch-crash-after-commit-worker.ts): the
 * batch is in the WAL but no run was told, so no stage it marked has started its effect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { crashMidBatchThenCount } from '../helpers/batch-crash-check.js';
import { delivery } from '../helpers/engine-fixtures.js';

const EVENTS = 24;

async function crashThenCount(workerScript: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-batch-crash-'));
  const url = `sqlite:${join(dir, 'webpig.db')}`;
  const store = await openStore(url);
  await store.migrate();
  const ids: number[] = [];
  for (let i = 0; i < EVENTS; i++) ids.push((await store.insertEvent(delivery({ providerEventId: `batch-${i}` }))).event.id);
  await store.close();

  try {
    await crashMidBatchThenCount({ url, dir, workerScript, ids });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('group commit on SQLite: a crash between a batch write and its commit', () => {
  it('loses nothing acknowledged and doubles no effect', async () => {
    await crashThenCount('test/helpers/sqlite-batch-crash-worker.ts');
  });
});

describe('group commit on SQLite: a crash between a batch commit and its WAL fsync', () => {
  it('loses nothing acknowledged and doubles no effect', async () => {
    await crashThenCount('test/helpers/sqlite-batch-crash-after-commit-worker.ts');
  });
});
