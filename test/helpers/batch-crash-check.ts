/**
 * The shared half of the group-commit crash tests (checkpoint-batch-crash.{sqlite,postgres}):
 * runs the crashing worker (SIGKILLed between a batch's writes and its COMMIT), restarts it
 * until the queue is done, then counts: every event succeeded with every stage, and every
 * effect exists exactly once.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/open.js';
import { CRASH_STAGES } from './crash-pipeline.js';
import { startEffectsServer } from './effects-server.js';
import { runWorkerProcess, type WorkerExit } from './worker-process.js';

export async function crashMidBatchThenCount(options: { url: string; dir: string; workerScript: string; ids: number[] }): Promise<void> {
  const { url, dir, workerScript, ids } = options;
  const effects = await startEffectsServer();
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
      exits.push(await runWorkerProcess(env, workerScript));
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
      assert.equal(counts.size, ids.length, `${kind}: one record per event`);
      assert.deepEqual(
        [...counts.values()],
        ids.map(() => 1),
        `${kind}: no effect twice`,
      );
    }
  } finally {
    await effects.close();
  }
}
