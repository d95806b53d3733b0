/**
 * CRASH TEST with stages without effects (`effects: 'none'`), which have no `processing` mark
 * of their own on an event's first claim and whose outcomes wait for the run's next write. A
 * real worker process (test/helpers/crash-worker.ts) is killed with SIGKILL inside and around
 * them — in them, after them with their outcome only in memory, and at the next stage's mark
 * that carries it — then restarted until the queue is empty. Every event succeeds, the lost
 * look-ups ran again, and every effect of the stages around them exists exactly once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { CRASH_STAGES_WITH_LOOKUPS } from '../helpers/crash-pipeline.js';
import { assertEachEffectOnce, runUntilFinished, withCrashRig } from '../helpers/crash-rig.js';
import { runWorkerProcess, type WorkerExit } from '../helpers/worker-process.js';

const EVENTS = 3;
/** A lost stage without effects leaves no checkpoint behind: the killed run's points inside or just after one. */
const LOST_LOOKUP = ['read_payment:during', 'read_payment:after-run', 'find_ledger_entry:during', 'find_ledger_entry:after-run'];
const FAILPOINTS = [
  'read_payment:before-run',
  ...LOST_LOOKUP,
  // The next stage's mark carries the look-ups' outcomes: killed just before and just after it.
  'invoice:before-start',
  'invoice:before-run',
  'ledger:before-start',
  'ledger:before-run',
  'ledger:during',
  'event:before-finish',
];

describe('crash test with stages without effects: SIGKILL inside and around them', () => {
  for (const failpoint of FAILPOINTS) {
    it(`killed at ${failpoint}: every event succeeds, every effect exists once`, async () => {
      const rig = { idPrefix: `crash-lookups-${failpoint}`, events: EVENTS, failpoint, env: { WEBPIG_CRASH_LOOKUPS: '1' } };
      await withCrashRig(rig, async ({ db, ids, effects, env, marker }) => {
        const exits: WorkerExit[] = [await runWorkerProcess(env)];
        assert.equal(exits[0]?.signal, 'SIGKILL', 'the first worker was killed at the failpoint');
        assert.equal(readFileSync(marker, 'utf8'), failpoint);

        const [stage = ''] = failpoint.split(':');
        if (LOST_LOOKUP.includes(failpoint)) {
          // The killed run's stage without effects was never marked: nothing says it ran.
          const left = SqliteStore.open(`sqlite:${db}`);
          try {
            const states = await Promise.all(ids.map(async (id) => (await left.getCheckpoints(id)).find((c) => c.stage === stage)?.status));
            assert.ok(!states.includes('processing'), `${stage} states after the kill: ${JSON.stringify(states)}`);
          } finally {
            await left.close();
          }
        }

        await runUntilFinished(env, exits);
        assert.equal(exits.at(-1)?.code, 0, `a restarted worker finished the queue: ${JSON.stringify(exits)}`);

        const after = SqliteStore.open(`sqlite:${db}`);
        try {
          for (const id of ids) {
            assert.equal((await after.getEvent(id))?.status, 'succeeded', `event ${id}`);
            assert.deepEqual(
              (await after.getCheckpoints(id)).map((c) => [c.stage, c.status]),
              CRASH_STAGES_WITH_LOOKUPS.map((s) => [s, 'success']),
            );
          }
        } finally {
          await after.close();
        }
        assertEachEffectOnce(effects, EVENTS);
      });
    });
  }
});
