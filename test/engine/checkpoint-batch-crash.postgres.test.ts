/**
 * Group-committed checkpoints under a crash: a worker process runs many events at once, so
 * its checkpoint writes share transactions, and is SIGKILLed after a batch of two or more
 * events' writes was sent and before its COMMIT (test/helpers/batch-crash-worker.ts). Those
 * writes are lost; nothing acknowledged may be: no stage ran its effect before its own
 * `processing` mark was durable, so the restarted worker finishes every event and every
 * effect exists once — `ledger`'s receiver has no idempotency key, only reconcile, which
 * runs only for a stage found `processing`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { CRASH_STAGES } from '../helpers/crash-pipeline.js';
import { startEffectsServer } from '../helpers/effects-server.js';
import { delivery } from '../helpers/engine-fixtures.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { runWorkerProcess, type WorkerExit } from '../helpers/worker-process.js';

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

    const effects = await startEffectsServer();
    const dir = mkdtempSync(join(tmpdir(), 'webpig-batch-crash-'));
    try {
      const marker = join(dir, 'crashed');
      const env = {
        WEBPIG_DATABASE_URL: url,
        EFFECTS_URL: effects.url,
        WEBPIG_CONCURRENCY: '8',
        WEBPIG_LEASE_MS: '1000',
        WEBPIG_STAGE_DELAY_MS: '5',
        WEBPIG_BATCH_CRASH_MARKER: marker,
      };
      const exits: WorkerExit[] = [];
      do {
        exits.push(await runWorkerProcess(env, 'test/helpers/batch-crash-worker.ts'));
      } while (exits.at(-1)?.code !== 0 && exits.length < 4);
      assert.equal(exits[0]?.signal, 'SIGKILL', 'the first worker was killed before a batch commit');
      assert.ok(existsSync(marker));
      assert.equal(exits.at(-1)?.code, 0, `a restarted worker finished the queue: ${JSON.stringify(exits)}`);

      const after = await openStore(url);
      try {
        for (const id of ids) {
          assert.equal((await after.getEvent(id))?.status, 'succeeded', `event ${id}`);
          assert.deepEqual(
            (await after.getCheckpoints(id)).map((c) => c.status),
            CRASH_STAGES.map(() => 'success'),
          );
        }
      } finally {
        await after.close();
      }
      for (const kind of ['invoice', 'cartera', 'whatsapp']) {
        const counts = effects.countsBy(kind);
        assert.equal(counts.size, EVENTS, `${kind}: one record per event`);
        assert.deepEqual(
          [...counts.values()],
          ids.map(() => 1),
          `${kind}: no effect twice`,
        );
      }
    } finally {
      await effects.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
