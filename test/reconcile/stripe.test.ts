import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { normalizeStripeEvent } from '../../src/sources/stripe.js';
import { ProviderApiError } from '../../src/sources/listing/provider-list.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * Reconciliation against the sandbox's Stripe over HTTP (GET /v1/events through the official
 * package), on both stores: webhooks that never arrived are found and created once, as their
 * webhook would have; late and concurrent webhooks are duplicates.
 */
const HOUR = 3_600_000;
const sinceAnHourAgo = () => new Date(Date.now() - HOUR);

function reconcileSuite(name: string, openStore: () => Promise<Store>, skip: string | false = false): void {
  describe(`Stripe reconciliation over HTTP (${name})`, { skip }, () => {
    let store: Store;
    let rig: StripeRig;
    before(async () => {
      store = await openStore();
      rig = await startStripeRig(store);
    });
    after(async () => {
      await rig?.close();
      await store?.close();
    });
    const run = (options: Partial<Parameters<typeof reconcileSource>[0]> = {}) =>
      reconcileSource({ store, source: 'stripe', list: rig.list(), since: sinceAnHourAgo(), backoffMs: [5, 5], ...options });
    const eventsWithId = async (id: string) =>
      (await store.listEvents({ source: 'stripe', text: id })).items.filter((e) => e.providerEventId === id);

    it('creates each payment whose webhook was lost, once, as its webhook would have, and raises an alert', async () => {
      const delivered = await rig.deliveredPayment();
      const lost = [await rig.lostPayment(), await rig.lostPayment({ type: 'checkout.session.completed' })];
      const first = await run();
      assert.deepEqual(first.created.map((e) => e.providerEventId).sort(), lost.map((e) => String(e.id)).sort());
      assert.equal((await eventsWithId(String(delivered.id))).length, 1, 'the delivered one is not created again');
      for (const event of lost) {
        const [stored, ...more] = await eventsWithId(String(event.id));
        assert.ok(stored, `event ${String(event.id)} was created`);
        assert.equal(more.length, 0);
        const asWebhook = normalizeStripeEvent(JSON.parse(JSON.stringify(event)) as never, new Date(), { testMode: false });
        assert.equal(stored.origin, 'reconciliation');
        assert.equal(stored.entityKey, asWebhook.entityKey);
        assert.equal(stored.type, asWebhook.type);
        assert.equal(stored.transactionStatus, asWebhook.transactionStatus);
        assert.deepEqual(stored.summary, asWebhook.summary);
        assert.deepEqual(stored.occurredAt, asWebhook.occurredAt);
        assert.equal(stored.status, 'queued', 'the pipeline runs on it as usual');
      }
      const again = await run();
      assert.equal(again.created.length, 0, 'a second run creates nothing');
      assert.equal(again.missing.length, 0);
      const alerts = (await store.listAlerts({ unresolvedOnly: true })).items.filter((a) => a.details?.alert === 'never_notified');
      assert.equal(alerts.length, 1, 'only the run that found something alerts');
      assert.equal(alerts[0]?.message, '2 Stripe payments never notified: check the endpoint');
      assert.deepEqual(
        alerts[0]?.details?.eventIds,
        first.created.map((e) => e.id),
      );
      const state = await store.getReconciliationState('stripe');
      assert.equal(state?.lastRecovered, 0);
      assert.ok((state?.totalRecovered ?? 0) >= 2);
      assert.equal(state?.resume, null);

      // A later run that finds more adds to the same issue (one per source), with its own numbers.
      const later = await rig.lostPayment();
      const third = await run();
      assert.deepEqual(
        third.created.map((e) => e.providerEventId),
        [String(later.id)],
      );
      const grouped = (await store.listAlerts({ unresolvedOnly: true })).items.filter((a) => a.details?.alert === 'never_notified');
      assert.equal(grouped.length, 1, 'one open alert for the source, not one per run');
      assert.equal(grouped[0]?.occurrences, 2);
      assert.equal(grouped[0]?.message, '1 Stripe payment never notified: check the endpoint');
    });

    it('a webhook arriving after reconciliation is a duplicate of the event it created', async () => {
      const lost = await rig.lostPayment();
      const { created } = await run();
      const late = await rig.deliver(lost);
      assert.equal(late.status, 200);
      assert.deepEqual(late.body, { id: created.find((e) => e.providerEventId === lost.id)?.id, status: 'duplicate' });
      assert.equal((await eventsWithId(String(lost.id))).length, 1);
    });

    it('a webhook arriving during reconciliation makes one event', async () => {
      const lost = await Promise.all(Array.from({ length: 6 }, () => rig.lostPayment()));
      const [result, ...replies] = await Promise.all([run(), ...lost.map((event) => rig.deliver(event))]);
      for (const reply of replies) assert.equal(reply.status, 200);
      for (const event of lost) assert.equal((await eventsWithId(String(event.id))).length, 1, `one event for ${String(event.id)}`);
      const byWebhook = replies.filter((r) => r.body.status === 'accepted').length;
      assert.equal(result.created.length + byWebhook, lost.length, 'each payment was created by exactly one of them');
    });

    it('lists the types named, wildcards included, as Stripe filters them (types[] takes exact names only)', async () => {
      const intent = String((await rig.lostPayment()).id);
      const refund = String((await rig.lostPayment({ type: 'charge.refunded' })).id);
      const customer = String((await rig.lostPayment({ type: 'customer.created' })).id);
      const ours = new Set([intent, refund, customer]);
      const missingWith = async (types: string[]) =>
        (await run({ dryRun: true, list: rig.list({ types, pageSize: 3 }) })).missing
          .map((m) => m.providerEventId)
          .filter((id) => ours.has(id))
          .sort();
      // The guide's config: patterns and an exact name together.
      assert.deepEqual(await missingWith(['payment_intent.*', 'checkout.session.*', 'charge.refunded']), [intent, refund].sort());
      assert.deepEqual(await missingWith(['payment_intent.*']), [intent]);
      assert.deepEqual(await missingWith(['charge.refunded', 'customer.created']), [refund, customer].sort());
      await run(); // leave nothing missing for the next test
    });

    it('lists every page (starting_after) of a window of several pages', async () => {
      const lost = [];
      for (let i = 0; i < 23; i++) lost.push(await rig.lostPayment());
      const result = await run({ list: rig.list({ pageSize: 5 }) });
      for (const event of lost) assert.equal((await eventsWithId(String(event.id))).length, 1);
      assert.equal(result.created.length, 23);
      assert.ok(result.listed >= 23);
    });

    it('backs off when Stripe answers 429, then goes on; with no retries left it stops, keeps where to resume, and resumes', async () => {
      const lost = await rig.lostPayment();
      await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'error', status: 429, count: 1 });
      const waits: number[] = [];
      const result = await run({ sleep: async (ms) => void waits.push(ms) });
      assert.deepEqual(waits, [5], 'one wait, after the 429');
      assert.deepEqual(
        result.created.map((e) => e.providerEventId),
        [lost.id],
      );

      const coveredBefore = (await store.getReconciliationState('stripe'))?.covered;
      const more = [];
      for (let i = 0; i < 4; i++) more.push(await rig.lostPayment());
      await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'error', status: 503, count: 1 });
      await assert.rejects(
        run({ list: rig.list({ pageSize: 2 }), backoffMs: [] }),
        (err: unknown) => err instanceof ProviderApiError && err.code === 'PROVIDER_UNAVAILABLE',
      );
      const stopped = await store.getReconciliationState('stripe');
      assert.match(stopped?.lastError ?? '', /503/);
      assert.ok(stopped?.resume, 'the resume point is kept');
      assert.deepEqual(stopped.covered, coveredBefore, 'a stopped run covers nothing more');
      const startedAt = new Date();
      const resumed = await run({ list: rig.list({ pageSize: 2 }), now: () => startedAt });
      assert.ok(resumed.resumed);
      // Its window reaches back to the interrupted one's start, and ends when it started.
      const covered = (await store.getReconciliationState('stripe'))?.covered;
      assert.ok(covered?.by === 'dates' && coveredBefore?.by === 'dates');
      assert.deepEqual(covered.until, startedAt);
      assert.deepEqual(covered.from, coveredBefore.from, 'contiguous with the earlier runs, so widened');
      for (const event of more) assert.equal((await eventsWithId(String(event.id))).length, 1);
      assert.equal((await store.getReconciliationState('stripe'))?.lastError, null);
    });

    it('a window asked further back than the 30 days Stripe keeps is listed from there, said so, and recorded as covered from there', async () => {
      const DAY = 86_400_000;
      const kept = await rig.lostPayment({ created: Math.floor((Date.now() - 29 * DAY) / 1000) });
      const gone = await rig.lostPayment({ created: Math.floor((Date.now() - 40 * DAY) / 1000) });
      const asked = new Date(Date.now() - 45 * DAY);
      const result = await run({ since: asked });
      assert.deepEqual(result.cut, { asked, reachesBackMs: 30 * DAY });
      assert.ok(
        Math.abs(result.since.getTime() - (Date.now() - 30 * DAY)) < 60_000,
        `listed from 30 days ago, not ${result.since.toISOString()}`,
      );
      assert.ok(result.created.some((e) => e.providerEventId === kept.id));
      assert.ok(!result.created.some((e) => e.providerEventId === gone.id), 'Stripe no longer lists it');
      const covered = (await store.getReconciliationState('stripe'))?.covered;
      assert.ok(covered?.by === 'dates');
      assert.ok(covered.from.getTime() >= result.since.getTime(), `not recorded as compared before ${result.since.toISOString()}`);
      assert.equal((await run()).cut, null, 'a window Stripe reaches is listed as asked');
      // `--since 30d` (or a lookBack of 30d) was computed a moment before the run began: its reach, not a cut.
      const month = await run({ since: new Date(Date.now() - 30 * DAY - 2_000) });
      assert.equal(month.cut, null, 'thirty days asked a moment ago: no cut to report');
    });

    it('--dry-run lists what is missing and changes nothing', async () => {
      const lost = await rig.lostPayment();
      const before = await store.countEvents({});
      const stateBefore = await store.getReconciliationState('stripe');
      const alertsBefore = (await store.listAlerts()).items.length;
      const result = await run({ dryRun: true });
      assert.deepEqual(
        result.missing.map((m) => m.providerEventId),
        [lost.id],
      );
      assert.equal(result.created.length, 0);
      assert.equal(await store.countEvents({}), before);
      assert.deepEqual(await store.getReconciliationState('stripe'), stateBefore);
      assert.equal((await store.listAlerts()).items.length, alertsBefore);
      await run(); // leave nothing missing for the next test
    });
  });
}

reconcileSuite('SQLite', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
});

const schemas = withTestSchema();
const pgSkip = await postgresSkip();
reconcileSuite('PostgreSQL', async () => openMigrated((await schemas.create()).url), pgSkip);
