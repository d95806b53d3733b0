/**
 * CRASH TEST. A real worker process (test/helpers/crash-worker.ts) runs a three-stage pipeline
 * whose effects land on a real HTTP effects server; it is killed with SIGKILL at every stage
 * boundary and in the middle of each stage's effect, then restarted until the queue is empty.
 * At the end every event has succeeded and every effect exists exactly once — including the
 * `ledger` effect, whose receiver has no idempotency key and is protected only by reconcile.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { CRASH_STAGES } from '../helpers/crash-pipeline.js';
import { delivery } from '../helpers/engine-fixtures.js';
import { startEffectsServer } from '../helpers/effects-server.js';
import { runWorkerProcess, type WorkerExit } from '../helpers/worker-process.js';

const EVENTS = 3;
const FAILPOINTS = [
  ...CRASH_STAGES.flatMap((stage) =>
    ['before-start', 'before-run', 'during', 'after-run', 'after-outcome'].map((point) => `${stage}:${point}`),
  ),
  'event:before-finish',
];

describe('crash test: SIGKILL at every stage boundary and mid-effect', () => {
  for (const failpoint of FAILPOINTS) {
    it(`killed at ${failpoint}: every event succeeds, every effect exists once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'webpig-crash-'));
      const effects = await startEffectsServer();
      try {
        const db = join(dir, 'webpig.db');
        const store = SqliteStore.open(`sqlite:${db}`);
        await store.migrate();
        const ids: number[] = [];
        for (let i = 0; i < EVENTS; i++)
          ids.push((await store.insertEvent(delivery({ providerEventId: `crash-${failpoint}-${i}` }))).event.id);
        await store.close();

        const marker = join(dir, 'crashed');
        const env = { WEBPIG_DB: db, EFFECTS_URL: effects.url, WEBPIG_CRASH_AT: failpoint, WEBPIG_CRASH_MARKER: marker };
        const exits: WorkerExit[] = [];
        do {
          exits.push(await runWorkerProcess(env));
        } while (exits.at(-1)?.code !== 0 && exits.length < 6);

        assert.equal(exits[0]?.signal, 'SIGKILL', 'the first worker was killed at the failpoint');
        assert.equal(readFileSync(marker, 'utf8'), failpoint);
        assert.equal(exits.at(-1)?.code, 0, `a restarted worker finished the queue: ${JSON.stringify(exits)}`);

        const after = SqliteStore.open(`sqlite:${db}`);
        try {
          for (const id of ids) {
            const event = await after.getEvent(id);
            assert.equal(event?.status, 'succeeded', `event ${id}`);
            const checkpoints = await after.getCheckpoints(id);
            assert.deepEqual(
              checkpoints.map((c) => c.status),
              CRASH_STAGES.map(() => 'success'),
            );
          }
          const crashedStage = failpoint.split(':')[0];
          if (failpoint.endsWith(':during') || failpoint.endsWith(':before-run') || failpoint.endsWith(':after-run')) {
            // The interrupted stage's history shows the recovery.
            const notes = (
              await Promise.all(ids.map(async (id) => (await after.getCheckpoints(id)).find((c) => c.stage === crashedStage)))
            ).flatMap((c) => c?.history.map((h) => h.note) ?? []);
            assert.ok(
              notes.includes('recovered by reconcile') || notes.includes('resumed after interruption'),
              `history notes: ${JSON.stringify(notes)}`,
            );
            if (crashedStage === 'ledger' && failpoint.endsWith(':during')) assert.ok(notes.includes('recovered by reconcile'));
          }
        } finally {
          await after.close();
        }

        for (const kind of ['invoice', 'cartera', 'whatsapp']) {
          const counts = effects.countsBy(kind);
          assert.equal(counts.size, EVENTS, `${kind}: one record per event`);
          assert.deepEqual([...counts.values()], Array(EVENTS).fill(1), `${kind}: no effect twice`);
        }
      } finally {
        await effects.close();
        if (!existsSync(join(dir, 'keep'))) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
