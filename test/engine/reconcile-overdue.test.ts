import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { createAlertForwarder } from '../../src/engine/alert-forwarder.js';
import { reconcileSource } from '../../src/engine/reconcile.js';
import type { ReconcileWatch } from '../../src/engine/reconcile-overdue.js';
import type { AlertRecord } from '../../src/core/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alert-receiver.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * "Reconciliation overdue": the periodic alert check, given the worker's reconcile schedule,
 * raises one issue per scheduled source whose last finished run is older than three of its
 * `every` (forwarded like every alert), none for a recent one or a source not scheduled; a run
 * that finishes resolves it, and so does the check once it no longer holds. Runs are real runs
 * against the sandbox's Stripe (HTTP), on a clock the test moves.
 */
const MINUTE = 60_000;

interface Delivery {
  transition: string;
  alert: { subject: string; details: Record<string, unknown> };
}

function overdueSuite(name: string, open: () => Promise<Store>, skip: string | false = false) {
  describe(`reconciliation overdue (${name})`, { skip }, () => {
    let store: Store;
    let rig: StripeRig;
    let receiver: AlertReceiver<Delivery>;
    let receiverUrl: string;

    before(async () => {
      store = await open();
      rig = await startStripeRig(store);
      receiver = await startAlertReceiver<Delivery>();
      receiverUrl = receiver.url;
    });
    after(async () => {
      await receiver?.close();
      await rig?.close();
      await store?.close();
    });

    const overdue = async (source: string): Promise<AlertRecord[]> =>
      (await store.listAlerts()).items.filter((a) => a.details?.alert === 'reconcile_overdue' && a.details.source === source);
    /** A whole run of the source at `at` (real HTTP to the sandbox; the run's clock is the test's). */
    const finishRun = (source: string, at: Date) =>
      reconcileSource({ store, source, list: rig.list(), since: new Date(Date.now() - 60 * MINUTE), now: () => at });
    const later = (from: Date, ms: number) => new Date(from.getTime() + ms);

    it('raised when the last finished run is older than 3 × every, with what to do; not before; not for an unscheduled source; forwarded', async () => {
      const t0 = new Date();
      await finishRun('stripe', t0);
      // Finished long ago, but no worker schedules it (run by hand now and then): nobody expects it.
      await finishRun('stripe-by-hand', later(t0, -600 * MINUTE));
      const watch: ReconcileWatch = { settings: { stripe: { every: '15m' } }, watchedSince: t0 };

      await checkAlertConditions({ store, reconcile: watch }, later(t0, 45 * MINUTE));
      assert.deepEqual(await overdue('stripe'), [], 'exactly 3 × every is not overdue yet');

      const now = later(t0, 45 * MINUTE + 1_000);
      await checkAlertConditions({ store, reconcile: watch }, now);
      const [alert, ...more] = await overdue('stripe');
      assert.ok(alert, 'raised once the last finished run is older than 45 minutes');
      assert.deepEqual(more, []);
      assert.equal(alert.kind, 'custom');
      assert.equal(alert.subject, 'reconcile-overdue:stripe');
      assert.equal(alert.resolvedAt, null);
      assert.deepEqual(alert.details, {
        alert: 'reconcile_overdue',
        source: 'stripe',
        since: t0.toISOString(),
        everFinished: true,
        every: '15m',
        overdueAfterSeconds: 2_700,
        command: 'webpig reconcile --source stripe',
      });
      assert.equal(
        alert.message,
        `reconciliation of stripe is overdue: no run has finished since ${t0.toISOString()} (it runs every 15m), ` +
          'so payments whose webhook was lost since then are not being looked for. ' +
          'What to do: check that the worker is running and read its logs; run `webpig reconcile --source stripe` by hand meanwhile',
      );
      assert.deepEqual(await overdue('stripe-by-hand'), [], 'a source without a scheduled reconciliation is never overdue');

      // Seen again by the next checks: the same issue, not counted again.
      await checkAlertConditions({ store, reconcile: watch }, later(now, MINUTE));
      const [again, ...none] = await overdue('stripe');
      assert.deepEqual([again?.id, again?.occurrences, none.length], [alert.id, 1, 0]);

      const forwarder = createAlertForwarder({ store, url: receiverUrl, now: () => later(now, MINUTE), maxAgeMs: 24 * 60 * MINUTE });
      await forwarder.forwardDue();
      assert.deepEqual(
        receiver.received.filter((d) => d.alert.subject === 'reconcile-overdue:stripe').map((d) => [d.transition, d.alert.details.alert]),
        [['opened', 'reconcile_overdue']],
      );

      // A run finishes: the run itself resolves the issue, before any check, and that is forwarded.
      const ran = later(now, 2 * MINUTE);
      await finishRun('stripe', ran);
      const [resolved] = await overdue('stripe');
      assert.equal(resolved?.resolvedAt?.toISOString(), ran.toISOString(), 'resolved by the run that finished');
      await checkAlertConditions({ store, reconcile: watch }, later(ran, MINUTE));
      assert.equal((await overdue('stripe')).length, 1, 'the check raises nothing new after a recent run');
      await forwarder.forwardDue();
      assert.deepEqual(
        receiver.received.filter((d) => d.alert.subject === 'reconcile-overdue:stripe').map((d) => d.transition),
        ['opened', 'resolved'],
      );
    });

    it('resolved by the check once it no longer holds: a longer every, or the schedule removed', async () => {
      const t0 = new Date();
      await finishRun('stripe-slow', t0);
      const now = later(t0, 50 * MINUTE);
      const check = (settings: ReconcileWatch['settings']) =>
        checkAlertConditions({ store, reconcile: { settings, watchedSince: t0 } }, now);

      await check({ 'stripe-slow': { every: '15m' } });
      assert.equal((await overdue('stripe-slow'))[0]?.resolvedAt, null, 'raised');
      await check({ 'stripe-slow': { every: '1h' } });
      assert.equal((await overdue('stripe-slow'))[0]?.resolvedAt?.toISOString(), now.toISOString(), 'every 1h: 50 minutes is not overdue');

      await check({ 'stripe-slow': { every: '15m' } });
      const [reopened] = await overdue('stripe-slow');
      assert.equal(reopened?.resolvedAt, null, 'raised again: a new issue');
      assert.deepEqual(await checkAlertConditions({ store }, now), { open: 0, resolved: 0 }, 'a check given no schedule leaves it alone');
      await check({});
      assert.ok(
        (await overdue('stripe-slow')).every((a) => a.resolvedAt !== null),
        'the schedule removed from the config: resolved',
      );
    });

    it('a run finishing between the check reading the state and recording the issue: the check leaves none open', async () => {
      const t0 = new Date();
      await finishRun('stripe-race', t0);
      const ran = later(t0, 50 * MINUTE);
      // The same store, where the run finishes (and resolves what is open) just before the check's write.
      const racing = new Proxy(store, {
        get(target, property) {
          if (property === 'recordAlert') {
            return async (alert: Parameters<Store['recordAlert']>[0]) => {
              if (alert.subject === 'reconcile-overdue:stripe-race') await finishRun('stripe-race', ran);
              return target.recordAlert(alert);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      await checkAlertConditions({ store: racing, reconcile: { settings: { 'stripe-race': { every: '15m' } }, watchedSince: t0 } }, ran);
      const alerts = await overdue('stripe-race');
      assert.equal(alerts.length, 1, 'the check did record it (the run had not been read)');
      assert.ok(alerts[0]?.resolvedAt, 'and resolved it in the same check, having read the state again');
    });

    it('no run ever finished: counted from the last run start, or from when the worker began checking', async () => {
      const watchedSince = new Date();
      const watch: ReconcileWatch = { settings: { 'stripe-new': { every: '10m' } }, watchedSince };
      await checkAlertConditions({ store, reconcile: watch }, later(watchedSince, 30 * MINUTE));
      assert.deepEqual(await overdue('stripe-new'), [], 'never run, the worker checking for 30 minutes: not yet');
      await checkAlertConditions({ store, reconcile: watch }, later(watchedSince, 31 * MINUTE));
      const [alert] = await overdue('stripe-new');
      assert.ok(alert, 'never run, the worker checking for 31 minutes: overdue');
      assert.deepEqual([alert.details?.since, alert.details?.everFinished], [watchedSince.toISOString(), false]);
      assert.match(alert.message, /^reconciliation of stripe-new is overdue: no run has ever finished, and it has been scheduled since /);

      // A run that started earlier than this worker and never finished (killed): counted from its start.
      const started = later(watchedSince, -40 * MINUTE);
      const owner = 'elsewhere|pid:[1]|1|killed';
      const claim = await store.claimReconciliationRun({
        source: 'stripe-killed',
        owner,
        now: started,
        leaseUntil: later(started, MINUTE),
      });
      assert.ok(claim.claimed);
      assert.ok(
        await store.recordReconciliationStart('stripe-killed', started, { since: later(started, -60 * MINUTE), cursor: null }, owner),
      );
      await checkAlertConditions({ store, reconcile: { settings: { 'stripe-killed': { every: '10m' } }, watchedSince } }, watchedSince);
      const [killed] = await overdue('stripe-killed');
      assert.equal(killed?.details?.since, started.toISOString(), 'overdue at once: its only run started 40 minutes ago');
    });

    it('a worker in a restart loop whose runs never finish: overdue 3 × every after the first run started, whatever the restarts', async () => {
      const source = 'stripe-loop';
      const settings = { [source]: { every: '10m' } };
      const t0 = new Date();
      const firstStart = later(t0, 5_000);
      // A worker started every 7 minutes (watchedSince moves), its first round 5 s later; its run
      // dies each time: killed outright (its claim and start left behind, to lapse), or stopped
      // by the worker going down (a real run: it claims, records its start, stops, releases).
      for (let life = 0; life < 5; life++) {
        const watchedSince = later(t0, life * 7 * MINUTE);
        const start = later(watchedSince, 5_000);
        if (life % 2 === 0) {
          const owner = `web-1|pid:[1]|${100 + life}|killed`;
          assert.ok((await store.claimReconciliationRun({ source, owner, now: start, leaseUntil: later(start, MINUTE) })).claimed);
          assert.ok(await store.recordReconciliationStart(source, start, { since: later(start, -60 * MINUTE), cursor: null }, owner));
        } else {
          const shutdown = new AbortController();
          shutdown.abort();
          await assert.rejects(
            reconcileSource({
              store,
              source,
              list: rig.list(),
              since: later(start, -60 * MINUTE),
              now: () => start,
              signal: shutdown.signal,
            }),
            { code: 'RECONCILE_STOPPED' },
          );
        }
        const state = await store.getReconciliationState(source);
        assert.deepEqual([state?.lastStartedAt, state?.lastFinishedAt], [start, null], `life ${life}: its run started, none finished`);
        // Checked 2 minutes into this life; the last life is 30 minutes after the first start.
        const checkedAt = life < 4 ? later(start, 2 * MINUTE) : later(firstStart, 30 * MINUTE);
        await checkAlertConditions({ store, reconcile: { settings, watchedSince } }, checkedAt);
        assert.deepEqual(await overdue(source), [], `life ${life}: not 3 × every since the first start yet`);
      }
      const now = later(firstStart, 30 * MINUTE + 1_000);
      await checkAlertConditions({ store, reconcile: { settings, watchedSince: later(t0, 28 * MINUTE) } }, now);
      const [alert, ...more] = await overdue(source);
      assert.ok(alert, 'overdue: the restart loop that never finished a run is no longer silent');
      assert.deepEqual(more, []);
      assert.deepEqual(
        [alert.details?.since, alert.details?.everFinished, alert.resolvedAt],
        [firstStart.toISOString(), false, null],
        'counted from the first run start',
      );
      assert.match(alert.message, /no run has ever finished, and it has been scheduled since /);
      // A run that finishes at last resolves it.
      await finishRun(source, later(now, MINUTE));
      assert.ok((await overdue(source))[0]?.resolvedAt, 'resolved by the first run that finished');
    });
  });
}

overdueSuite('SQLite', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
});

const schemas = withTestSchema();
overdueSuite('PostgreSQL', async () => openMigrated((await schemas.create()).url), await postgresSkip());
