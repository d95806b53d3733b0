import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startAlertConditionChecks, type AlertConditionChecks } from '../../src/engine/alert-conditions.js';
import type { AlertRecord } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';
import { startCli } from '../helpers/cli.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import {
  runToExit,
  sqliteCliDatabase,
  startReconcileCliRig,
  waitForEvents,
  type CliDatabase,
  type ReconcileCliRig,
} from '../helpers/reconcile-cli.js';

/**
 * The silent case made loud: a `webpig reconcile` run killed outright (SIGKILL, as the OOM killer
 * does) never reaches its error handler, so no "reconciliation incomplete" alert is raised and the
 * source's last finished run stays where it was. The worker's periodic alert check (as
 * src/service/start.ts starts it, on a clock the test moves) raises "reconciliation overdue" once
 * that run is older than 3 × every, and a run that finishes resolves it.
 */
const MISSING = 400;
const MINUTE = 60_000;

function killedSuite(name: string, database: () => Promise<CliDatabase>, skip: string | false = false) {
  describe(`a killed reconciliation becomes an overdue alert (${name})`, { skip }, () => {
    let setup: ReconcileCliRig;
    let store: Store;
    let db: string;
    let checks: AlertConditionChecks | undefined;
    before(async () => {
      setup = await startReconcileCliRig({ database });
      ({ store, db } = setup);
    });
    after(async () => {
      await checks?.stop();
      await setup?.close();
    });

    const alertsOf = async (source: string): Promise<AlertRecord[]> =>
      (await store.listAlerts()).items.filter((a) => a.details?.source === source);
    /** Waits (the checks run every 20 ms) until `ready` holds of the source's alerts. */
    const waitForAlerts = async (ready: (alerts: AlertRecord[]) => boolean): Promise<AlertRecord[]> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const alerts = await alertsOf('stripe');
        if (ready(alerts) || Date.now() > deadline) return alerts;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    it('SIGKILL mid-run: no alert of its own; overdue once its last finished run is older than 3 × every; resolved by the next run', async () => {
      const first = await runToExit(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
      assert.equal(first.code, 0, first.stderr);
      const finishedAt = (await store.getReconciliationState('stripe'))?.lastFinishedAt;
      assert.ok(finishedAt, 'a run finished');

      for (let i = 0; i < MISSING; i++) await setup.rig.lostPayment();
      const cli = startCli(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => cli.child.once('exit', (_code, signal) => resolve(signal)));
      await waitForEvents(store, 'stripe', 30);
      cli.child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      const created = await store.countEvents({ source: 'stripe' });
      assert.ok(created > 0 && created < MISSING, `killed mid-run (${created} of ${MISSING} created)`);
      const state = await store.getReconciliationState('stripe');
      assert.ok(state?.resume, 'stopped midway');
      assert.equal(state.lastFinishedAt?.toISOString(), finishedAt.toISOString(), 'the last finished run is still the first');
      assert.deepEqual(await alertsOf('stripe'), [], 'killed outright: no alert of its own, nothing says reconciliation stopped');

      // The worker's check, its schedule every minute. Time passes on its clock.
      let clock = new Date(finishedAt.getTime() + 3 * MINUTE);
      checks = startAlertConditionChecks({
        store,
        reconcile: { settings: { stripe: { every: '1m' } } },
        everyMs: 20,
        now: () => clock,
        logger: pino({ level: 'silent' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await alertsOf('stripe'), [], '3 minutes after the last finished run: not overdue yet');
      clock = new Date(finishedAt.getTime() + 3 * MINUTE + 1_000);
      const [overdue, ...more] = await waitForAlerts((alerts) => alerts.length > 0);
      assert.ok(overdue, 'overdue: the silent case is no longer silent');
      assert.deepEqual(more, []);
      assert.deepEqual(
        [overdue.kind, overdue.subject, overdue.details?.alert, overdue.details?.since, overdue.resolvedAt],
        ['custom', 'reconcile-overdue:stripe', 'reconcile_overdue', finishedAt.toISOString(), null],
      );
      assert.match(
        overdue.message,
        /no run has finished since .*What to do: check that the worker is running and read its logs; run `webpig reconcile --source stripe` by hand/,
      );

      // As the alert says: run it by hand. It resumes the killed run, finishes, and resolves the alert.
      const rerun = await runToExit(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stdout, /resumed the run/);
      const [resolved] = await alertsOf('stripe').then((alerts) => alerts.filter((a) => a.subject === 'reconcile-overdue:stripe'));
      assert.ok(resolved?.resolvedAt, 'resolved by the run that finished');
      // The check, its clock now past the new run's end, raises nothing again.
      clock = new Date();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(
        (await alertsOf('stripe')).filter((a) => a.subject === 'reconcile-overdue:stripe' && a.resolvedAt === null),
        [],
      );
    });
  });
}

killedSuite('SQLite', () => sqliteCliDatabase('webpig-reconcile-overdue-'));

const schemas = withTestSchema();
killedSuite(
  'PostgreSQL',
  async () => {
    const { url } = await schemas.create();
    return { store: await openMigrated(url), db: url };
  },
  await postgresSkip(),
);
