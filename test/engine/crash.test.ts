/**
 * CRASH TEST. A real worker process (test/helpers/crash-worker.ts) runs a three-stage pipeline
 * whose effects land on a real HTTP effects server; it is killed with SIGKILL at every stage
 * boundary and in the middle of each stage's effect, then restarted until the queue is empty.
 * At the end every event has succeeded and every effect exists exactly once — including the
 * `ledger` effect, whose receiver has no idempotency key and is protected only by reconcile.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { CRASH_STAGES } from '../helpers/crash-pipeline.js';
import { assertEachEffectOnce, runUntilFinished, withCrashRig } from '../helpers/crash-rig.js';

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
      await withCrashRig({ idPrefix: `crash-${failpoint}`, events: EVENTS, failpoint }, async ({ db, ids, effects, env, marker }) => {
        const exits = await runUntilFinished(env);

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

        assertEachEffectOnce(effects, EVENTS);
      });
    });
  }
});
