/**
 * Group-committed checkpoints under a crash: a worker process runs many events at once, so
 * its checkpoint writes share transactions, and is SIGKILLed after a batch of two or more
 * events' writes was sent and before its COMMIT (test/helpers/batch-crash-worker.ts). Those
 * writes are lost; nothing acknowledged may be: no stage ran its effect before its own
 * `processing` mark was durable, so the restarted worker finishes every event and every
 * effect exists once — `ledger`'s receiver has no idempotency key, only reconcile, which
 * runs only for a stage found `processing`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { crashMidBatchThenCount } from '../helpers/batch-crash-check.js';
import { delivery } from '../helpers/engine-fixtures.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';

const EVENTS = 24;

describe('group commit on PostgreSQL: a crash between a batch write and its commit', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  it('loses nothing acknowledged and doubles no effect', async () => {
    const { url } = await schemas.create();
    const store = await openStore(url);
    await store.migrate();
    const ids: number[] = [];
    for (let i = 0; i < EVENTS; i++) ids.push((await store.insertEvent(delivery({ providerEventId: `batch-${i}` }))).event.id);
    await store.close();

    const dir = mkdtempSync(join(tmpdir(), 'webpig-batch-crash-'));
    try {
      await crashMidBatchThenCount({ url, dir, workerScript: 'test/helpers/batch-crash-worker.ts', ids });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
