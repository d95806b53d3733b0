import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startCli } from '../helpers/cli.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { startStripeRig, type StripeRig } from './stripe-rig.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM sent to the built `webpig reconcile` process mid-run: it stops at
 * the end of a page, says so on one line, exits 130 (143), keeps what it created and where to
 * resume, and releases its claim on the source (no other run is kept waiting); the next run
 * resumes and each missing event exists once.
 */
const MISSING = 400;

describe('webpig reconcile stopped by a signal', () => {
  const tmp = tempDatabaseDir('webpig-reconcile-signal-');
  const db = `sqlite:${join(tmp.dir, 'webpig.db')}`;
  let store: SqliteStore;
  let rig: StripeRig;
  const lostIds: string[] = [];

  before(async () => {
    store = SqliteStore.open(db);
    await store.migrate();
    rig = await startStripeRig(store);
    await store.recordProviderApi('stripe', rig.stripeApiUrl);
    for (let i = 0; i < MISSING; i++) lostIds.push(String((await rig.lostPayment()).id));
  });
  after(async () => {
    await rig?.close();
    await store?.close();
    tmp.remove();
  });

  /** Starts a run, sends `signal` once it has created `atLeast` events, and waits for its exit. */
  async function interrupt(signal: 'SIGINT' | 'SIGTERM', atLeast: number) {
    const cli = startCli(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    let stderr = '';
    cli.child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    for (let waited = 0; waited < 30_000; waited += 5) {
      if ((await store.countEvents({ source: 'stripe' })) >= atLeast) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    cli.child.kill(signal);
    return { code: await exited, stderr };
  }

  /** Whether a run elsewhere (another machine: no process to check) could claim the source now. */
  async function sourceIsFree(): Promise<boolean> {
    const now = new Date();
    const owner = 'elsewhere|pid:[1]|1|test';
    const claim = await store.claimReconciliationRun({ source: 'stripe', owner, now, leaseUntil: new Date(now.getTime() + 60_000) });
    if (claim.claimed) await store.releaseReconciliationRun('stripe', owner);
    return claim.claimed;
  }

  for (const [signal, exitCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} mid-run: one clear line, exit ${exitCode}, its claim released, where to resume kept`, async () => {
      const before = await store.countEvents({ source: 'stripe' });
      // Sent once this run has created some (its handler is in place), long before its last page.
      const run = await interrupt(signal, before + 30);
      const after = await store.countEvents({ source: 'stripe' });
      assert.ok(after > before && after < MISSING, `the signal came mid-run (${after} of ${MISSING} created)`);
      assert.equal(run.code, exitCode, run.stderr);
      assert.match(run.stderr, new RegExp(`^webpig: ${signal} received, stopping the run at the end of its page`, 'm'));
      assert.match(
        run.stderr,
        new RegExp(`^webpig: ${signal} received: the run for stripe stopped at the end of a page and released the source;`, 'm'),
      );
      assert.ok(await sourceIsFree(), 'the run released its claim: a run on another machine may start at once');
      const state = await store.getReconciliationState('stripe');
      assert.ok(state?.resume, 'where to resume is kept');
    });
  }

  it('the next run resumes, and each missing event exists once', async () => {
    const rerun = startCli(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    let stdout = '';
    rerun.child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => rerun.child.once('exit', (status) => resolve(status)));
    assert.equal(code, 0);
    assert.match(stdout, /resumed the run/);
    const ids: string[] = [];
    for (let cursor: string | null = null; ;) {
      const page = await store.listEvents({ source: 'stripe' }, { cursor, limit: 500 });
      ids.push(...page.items.map((e) => e.providerEventId));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    assert.deepEqual(ids.sort(), [...lostIds].sort(), 'each missing event exactly once');
  });
});
