import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAlertForwarder } from '../../src/engine/alert-forwarder.js';
import { reconcileSource } from '../../src/engine/reconcile.js';
import type { AlertRecord } from '../../src/core/types.js';
import type { ProviderList } from '../../src/sources/listing/provider-list.js';
import { epaycoReferenceList } from '../../src/sources/listing/epayco-references.js';
import { stripeEventList } from '../../src/sources/listing/stripe-events.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { baseUrlOf } from '../helpers/sandbox-app.js';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alert-receiver.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * A reconciliation run that stops before the end of its window — the provider errors out or
 * times out after some pages, or refuses the key — raises an alert (stored as an issue, shown on
 * Web Pig, forwarded to alerts.webhookUrl) naming the source, the window's start and what to do:
 * payments whose webhooks were lost since then may still be missing. A later run of the source
 * that completes resolves it (and the resolution is forwarded). Real HTTP to the sandbox's Stripe.
 */
interface Delivery {
  transition: string;
  text: string;
  alert: { kind: string; subject: string; message: string; details: Record<string, unknown> };
}

function failedAlertSuite(name: string, open: () => Promise<Store>, skip: string | false = false) {
  describe(`a reconciliation run that stops midway raises an alert (${name})`, { skip }, () => {
    let store: Store;
    let rig: StripeRig;
    let receiver: AlertReceiver<Delivery>;
    let receiverUrl: string;

    before(async () => {
      store = await open();
      rig = await startStripeRig(store, { maxHangMs: 5_000 });
      receiver = await startAlertReceiver<Delivery>();
      receiverUrl = receiver.url;
    });
    after(async () => {
      await receiver?.close();
      await rig?.close();
      await store?.close();
    });

    const failedAlerts = async (source: string): Promise<AlertRecord[]> =>
      (await store.listAlerts()).items.filter((a) => a.details?.alert === 'reconcile_failed' && a.details.source === source);

    /** The list, with the provider starting to fail (real HTTP: the sandbox's fault) once `pages` pages were answered. */
    const failingAfter = (list: ProviderList, pages: number, fault: Record<string, unknown>): ProviderList => {
      let answered = 0;
      return {
        ...list,
        page: async (...args) => {
          const page = await list.page(...args);
          if (++answered === pages) await rig.fault(fault);
          return page;
        },
      };
    };

    it('the provider erroring out after two pages: one alert naming the source, since when and what to do, forwarded; resolved by the next run that completes', async () => {
      const source = 'stripe';
      for (let i = 0; i < 4; i++) await rig.lostPayment();
      const since = new Date(Date.now() - 3_600_000);
      const forwarder = createAlertForwarder({ store, url: receiverUrl });
      const list = failingAfter(rig.list({ pageSize: 1 }), 2, {
        service: 'stripe',
        operation: 'list_events',
        mode: 'error',
        status: 503,
      });
      await assert.rejects(reconcileSource({ store, source, list, since, backoffMs: [] }), { code: 'PROVIDER_UNAVAILABLE' });
      const [alert, ...more] = await failedAlerts(source);
      assert.ok(alert, 'an alert was raised');
      assert.deepEqual(more, [], 'one issue for the source');
      assert.equal(alert.kind, 'custom');
      assert.equal(alert.subject, 'reconcile-failed:stripe');
      assert.equal(alert.resolvedAt, null);
      assert.deepEqual(
        [alert.details?.source, alert.details?.provider, alert.details?.since, alert.details?.code, alert.details?.status],
        ['stripe', 'Stripe', since.toISOString(), 'PROVIDER_UNAVAILABLE', 503],
      );
      assert.match(
        alert.message,
        new RegExp(
          `^reconciliation of stripe \\(Stripe\\) stopped before the end of its window, since ${since.toISOString().replace(/\./g, '\\.')}: ` +
            'a payment whose webhook was lost since then may still be missing \\(.*503.*\\)\\. ' +
            'What to do: the next scheduled run resumes it, or run `webpig reconcile --source stripe` now',
        ),
      );
      assert.equal(await forwarder.forwardDue(), 1);
      assert.deepEqual(
        receiver.received.map((d) => [d.transition, d.alert.subject, d.alert.details.alert]),
        [['opened', 'reconcile-failed:stripe', 'reconcile_failed']],
      );
      assert.match(
        receiver.received[0]?.text ?? '',
        /^\[webpig\] custom: reconciliation of stripe \(Stripe\) stopped before the end of its window/,
      );

      // Failing again (resumed, its first page refused): the same issue, counted, the window's start unchanged.
      await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'error', status: 503 });
      await assert.rejects(reconcileSource({ store, source, list: rig.list({ pageSize: 1 }), since: new Date(), backoffMs: [] }));
      const [again] = await failedAlerts(source);
      assert.deepEqual([again?.id, again?.occurrences, again?.details?.since], [alert.id, 2, since.toISOString()]);

      // A dry run records nothing: it resolves nothing either.
      await reconcileSource({ store, source, list: rig.list(), since, dryRun: true });
      assert.equal((await failedAlerts(source))[0]?.resolvedAt, null);

      const completed = await reconcileSource({ store, source, list: rig.list({ pageSize: 1 }), since });
      assert.ok(completed.resumed, 'the next run resumed the stopped one');
      const [resolved] = await failedAlerts(source);
      assert.ok(resolved?.resolvedAt, 'resolved when a later run completed');
      assert.equal(await forwarder.forwardDue(), 2, 'the resolution, and the never-notified alert of what it found');
      assert.deepEqual(
        receiver.received.filter((d) => d.alert.subject === 'reconcile-failed:stripe').map((d) => d.transition),
        ['opened', 'resolved'],
      );
    });

    it('the provider timing out after a page: the alert says so; a key refused: the alert says to fix it first', async () => {
      const source = 'stripe-slow';
      for (let i = 0; i < 2; i++) await rig.lostPayment();
      const since = new Date(Date.now() - 3_600_000);
      const impatient = stripeEventList({ apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_rig', pageSize: 1, timeoutMs: 300 });
      const timingOut = failingAfter(impatient, 1, { service: 'stripe', operation: 'list_events', mode: 'timeout' });
      await assert.rejects(reconcileSource({ store, source, list: timingOut, since, backoffMs: [] }));
      const [timedOut] = await failedAlerts(source);
      assert.ok(timedOut, 'an alert was raised');
      assert.equal(timedOut.details?.code, 'PROVIDER_UNAVAILABLE');
      assert.match(timedOut.message, /stopped before the end of its window/);
      assert.match(timedOut.message, /webpig reconcile --source stripe-slow/);

      const refusedSource = 'stripe-key';
      await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'error', status: 401 });
      await assert.rejects(reconcileSource({ store, source: refusedSource, list: rig.list(), since }), { code: 'PROVIDER_REFUSED' });
      const [refused] = await failedAlerts(refusedSource);
      assert.ok(refused, 'an alert was raised');
      assert.equal(refused.details?.status, 401);
      assert.match(refused.message, /What to do: fix the credential the error names, then run `webpig reconcile --source stripe-key`/);
      assert.equal((await failedAlerts(source))[0]?.resolvedAt, null, "another source's run resolves nothing of this one");
    });

    it('ePayco, looked up by references, stopping midway: the alert names no window of dates', async () => {
      const source = 'epayco';
      await rig.fault({ service: 'epayco', operation: 'validate_reference', mode: 'error', status: 503 });
      const list = epaycoReferenceList({
        validation: { baseUrl: `${baseUrlOf(rig.sandbox.app)}/sandbox/epayco`, timeoutMs: 5_000 },
        references: () => ['5001'],
      });
      await assert.rejects(reconcileSource({ store, source, list, since: new Date(Date.now() - 3_600_000), backoffMs: [] }));
      const [alert] = await failedAlerts(source);
      assert.ok(alert, 'an alert was raised');
      assert.equal(alert.details?.since, null);
      assert.match(
        alert.message,
        /^reconciliation of epayco \(ePayco\) stopped before looking up every reference it was given: a payment among them whose webhook was lost may still be missing \(/,
      );
      assert.doesNotMatch(alert.message, /since/);
    });

    it('a run stopped by a shutdown raises none: it is no failure, the next run resumes it', async () => {
      const source = 'stripe-stopping';
      for (let i = 0; i < 2; i++) await rig.lostPayment();
      const stop = new AbortController();
      const list = rig.list({ pageSize: 1 });
      const stopping: ProviderList = {
        ...list,
        page: async (...args) => {
          const page = await list.page(...args);
          stop.abort();
          return page;
        },
      };
      await assert.rejects(
        reconcileSource({ store, source, list: stopping, since: new Date(Date.now() - 3_600_000), signal: stop.signal }),
        {
          code: 'RECONCILE_STOPPED',
        },
      );
      assert.ok((await store.getReconciliationState(source))?.resume, 'stopped midway');
      assert.deepEqual(await failedAlerts(source), []);
    });
  });
}

failedAlertSuite('SQLite', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
});

const schemas = withTestSchema();
failedAlertSuite('PostgreSQL', async () => openMigrated((await schemas.create()).url), await postgresSkip());
