/**
 * On SQLite the worker's checkpoint writes commit with their fsync off the event loop
 * (src/store/sqlite/checkpoint-batch.ts): a stage must not start before the WAL fsync covering
 * its `processing` mark has returned, and the event is not reported finished before the fsync
 * covering its finish. Every fsync is held here until the test lets it go; while one is held,
 * the stage its write marked must not have started.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { createWorker } from '../../src/engine/worker.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { HeldFsyncs, turns } from '../helpers/held-fsyncs.js';
import { insert, silentLogger } from '../helpers/engine-fixtures.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const STAGES = ['one', 'two', 'three'];

describe('SQLite checkpoint writes: durable before the run goes on', () => {
  const temp = tempDatabaseDir('webpig-sync-order-');
  after(() => temp.remove());

  it('starts each stage, and reports the finish, only after the fsync covering its write returned', async () => {
    const held = new HeldFsyncs();
    const store = SqliteStore.open(`sqlite:${join(temp.dir, 'order.db')}`, { checkpointIntervalMs: 0, walFsyncHook: held.hook });
    await store.migrate();
    const id = await insert(store);
    held.holding = true;
    const started: string[] = [];
    let finished: string | null = null;
    let reported: () => void = () => undefined;
    const result = new Promise<void>((resolve) => (reported = resolve));
    const worker = createWorker({
      store,
      pipelines: [
        definePipeline({
          name: 'order',
          match: () => true,
          stages: STAGES.map((name, i) => ({
            name,
            dependsOn: i === 0 ? [] : [STAGES[i - 1]!],
            run: async () => {
              started.push(name);
              return { ok: true };
            },
          })),
        }),
      ],
      concurrency: 1,
      leaseMs: 600_000,
      logger: silentLogger,
      onResult: (_event, outcome) => {
        finished = outcome.status;
        reported();
      },
    });
    worker.start();
    try {
      // fsync k covers stage k's `processing` mark (with stage k-1's outcome); the last one
      // covers stage three's outcome with the finish.
      for (let k = 1; k <= STAGES.length + 1; k++) {
        await held.startedCount(k);
        const marked = (await store.getCheckpoints(id)).filter((c) => c.status === 'processing').map((c) => c.stage);
        if (k <= STAGES.length) assert.deepEqual(marked, [STAGES[k - 1]], `fsync ${k} covers the mark of stage ${STAGES[k - 1]}`);
        await turns();
        assert.deepEqual(started, STAGES.slice(0, k - 1), `while fsync ${k} is held, no further stage has started`);
        assert.equal(finished, null, `while fsync ${k} is held, the event is not reported finished`);
        held.started[k - 1]!.release();
      }
      await result;
      assert.deepEqual(started, STAGES);
      assert.equal(finished, 'succeeded');
      assert.equal(held.started.length, STAGES.length + 1, 'one fsync a write: the claim rides on the first mark');
    } finally {
      held.holding = false;
      for (const fsync of held.started) fsync.release();
      await worker.stop();
      await store.close();
    }
  });
});
