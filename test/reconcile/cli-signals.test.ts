import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCli } from '../helpers/cli.js';
import { allEvents, reconcileCliRigForDescribe, runToExit, sqliteCliDatabase, waitForEvents } from '../helpers/reconcile-cli.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM sent to the built `webpig reconcile` process mid-run: it stops at
 * the end of a page, says so on one line, exits 130 (143), keeps what it created and where to
 * resume, and releases its claim on the source (no other run is kept waiting); the next run
 * resumes and each missing event exists once.
 */
const MISSING = 400;

describe('webpig reconcile stopped by a signal', () => {
  const setup = reconcileCliRigForDescribe({ database: () => sqliteCliDatabase('webpig-reconcile-signal-'), lostPayments: MISSING });

  /** Starts a run, sends `signal` once it has created `atLeast` events, and waits for its exit. */
  async function interrupt(signal: 'SIGINT' | 'SIGTERM', atLeast: number) {
    const cli = startCli(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    await waitForEvents(setup.store, 'stripe', atLeast);
    cli.child.kill(signal);
    return { code: await exited, stderr: cli.errorOutput() };
  }

  /** Whether a run elsewhere (another machine: no process to check) could claim the source now. */
  async function sourceIsFree(): Promise<boolean> {
    const now = new Date();
    const owner = 'elsewhere|pid:[1]|1|test';
    const claim = await setup.store.claimReconciliationRun({ source: 'stripe', owner, now, leaseUntil: new Date(now.getTime() + 60_000) });
    if (claim.claimed) await setup.store.releaseReconciliationRun('stripe', owner);
    return claim.claimed;
  }

  for (const [signal, exitCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} mid-run: one clear line, exit ${exitCode}, its claim released, where to resume kept`, async () => {
      const before = await setup.store.countEvents({ source: 'stripe' });
      // Sent once this run has created some (its handler is in place), long before its last page.
      const run = await interrupt(signal, before + 30);
      const after = await setup.store.countEvents({ source: 'stripe' });
      assert.ok(after > before && after < MISSING, `the signal came mid-run (${after} of ${MISSING} created)`);
      assert.equal(run.code, exitCode, run.stderr);
      assert.match(run.stderr, new RegExp(`^webpig: ${signal} received, stopping the run at the end of its page`, 'm'));
      assert.match(
        run.stderr,
        new RegExp(`^webpig: ${signal} received: the run for stripe stopped at the end of a page and released the source;`, 'm'),
      );
      assert.ok(await sourceIsFree(), 'the run released its claim: a run on another machine may start at once');
      const state = await setup.store.getReconciliationState('stripe');
      assert.ok(state?.resume, 'where to resume is kept');
    });
  }

  it('the next run resumes, and each missing event exists once', async () => {
    const rerun = await runToExit(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    assert.equal(rerun.code, 0);
    assert.match(rerun.stdout, /resumed the run/);
    const ids = (await allEvents(setup.store, 'stripe')).map((e) => e.providerEventId);
    assert.deepEqual(ids.sort(), [...setup.lostIds].sort(), 'each missing event exactly once');
  });
});
