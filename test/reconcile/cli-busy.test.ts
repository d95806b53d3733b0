import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startReconcileJob, type ReconcileJob } from '../../src/engine/reconcile-job.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { runToExit, sqliteCliDatabase, startReconcileCliRig, type CliDatabase, type ReconcileCliRig } from '../helpers/reconcile-cli.js';
import type { StripeRig } from '../helpers/stripe-rig.js';
import { startSilentServer, type SilentServer } from './silent-server.js';

/**
 * `webpig reconcile` run by hand while the worker's scheduled run of the same source is in
 * progress: it starts nothing and says so (exit 1), rather than running alongside it and calling
 * that run's resume point an interrupted run's. A dry run, which writes nothing, still runs. Once
 * the worker's run has stopped, the command resumes it.
 */
function busySuite(name: string, database: () => Promise<CliDatabase>, skip: string | false = false) {
  describe(`webpig reconcile while the worker's run is in progress (${name})`, { skip }, () => {
    let setup: ReconcileCliRig;
    let store: Store;
    let db: string;
    let rig: StripeRig;
    let silent: SilentServer;
    let job: ReconcileJob | undefined;
    before(async () => {
      // The command finds the sandbox through the database; the worker's config points its run
      // at an API that accepts the request and never answers, so that run stays in progress.
      setup = await startReconcileCliRig({ database });
      ({ store, db, rig } = setup);
      silent = await startSilentServer();
    });
    after(async () => {
      await job?.stop();
      await silent?.close();
      await setup?.close();
    });

    it('refuses, changing nothing, naming when that run started; resumes it once it has stopped', async () => {
      const lost = String((await rig.lostPayment()).id);
      job = startReconcileJob({
        store,
        settings: { stripe: { every: '1h', lookBack: '1h', apiBaseUrl: `${silent.url}/stripe`, apiKey: 'sk_test_worker' } },
        kinds: new Map([['stripe', 'stripe']]),
        env: {},
        logger: pino({ level: 'silent' }),
        firstDelayMs: 0,
      });
      await silent.waitForRequests(1);
      const during = await store.getReconciliationState('stripe');
      assert.ok(during?.lastStartedAt && during.resume, "the worker's run is in progress");

      const refused = await runToExit(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `^webpig: a run for stripe started at ${during.lastStartedAt.toISOString().replace(/\./g, '\\.')} is in progress; try again later`,
        ),
      );
      assert.doesNotMatch(refused.stdout, /resumed/);
      assert.equal(await store.countEvents({ source: 'stripe' }), 0);
      assert.deepEqual(await store.getReconciliationState('stripe'), during, 'nothing recorded');

      const dryRun = await runToExit(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h', '--dry-run']);
      assert.equal(dryRun.code, 0, dryRun.stderr);
      assert.match(dryRun.stdout, new RegExp(`${lost} payment_intent.succeeded: would be created`));

      await job.stop(); // the worker shuts down: its run stops where it was
      job = undefined;
      const resumed = await runToExit(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /^resumed the run that stopped at its first page \(its window since \S+Z\)$/m);
      assert.match(resumed.stdout, new RegExp(`${lost} payment_intent.succeeded: created as event \\d+`));
      assert.equal((await store.findEventByProviderId('stripe', lost))?.origin, 'reconciliation');
      assert.equal((await store.getReconciliationState('stripe'))?.resume, null);
    });
  });
}

busySuite('SQLite', () => sqliteCliDatabase('webpig-reconcile-busy-'));

const schemas = withTestSchema();
busySuite(
  'PostgreSQL',
  async () => {
    const { url } = await schemas.create();
    return { store: await openMigrated(url), db: url };
  },
  await postgresSkip(),
);
