import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { mercadopagoSearchList } from '../../src/sources/listing/mercadopago-search.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { mercadopagoBody, sendDelivery, signMercadopago, TEST_SECRETS } from '../helpers/signing.js';

/**
 * MercadoPago reconciliation against the sandbox over HTTP: payments and subscriptions found by
 * `GET /v1/payments/search` and `/preapproval/search` get the identity a notification would
 * produce (entity `payment:<id>`, type `payment.updated`, the notification's body).
 */
describe('MercadoPago reconciliation over HTTP', () => {
  let store: SqliteStore;
  let server: IngestServer;
  let sandbox: SandboxApp;
  let api: string;
  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    server = await startIngestServer({ store, closeStore: false });
    sandbox = await startSandboxApp({ listen: true });
    api = `${baseUrlOf(sandbox.app)}/sandbox/mercadopago`;
  });
  after(async () => {
    await server?.close();
    await sandbox?.close();
    await store?.close();
  });
  const make = async (collection: 'payments' | 'preapprovals', body: Record<string, unknown>) => {
    const reply = await fetch(`${api}/${collection}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(reply.status, body.id === undefined ? 201 : 200);
    return String(((await reply.json()) as { id: string }).id);
  };
  const notify = (dataId: string, type = 'payment') =>
    sendDelivery(
      server.baseUrl,
      'mercadopago',
      signMercadopago({
        secret: TEST_SECRETS.mercadopago,
        dataId,
        body: mercadopagoBody({ dataId, type, action: type === 'payment' ? 'payment.updated' : 'updated' }),
      }),
    );
  const run = (options: { pageSize?: number; backoffMs?: number[]; dryRun?: boolean } = {}) =>
    reconcileSource({
      store,
      source: 'mercadopago',
      since: new Date(Date.now() - 3_600_000),
      backoffMs: options.backoffMs ?? [5],
      list: mercadopagoSearchList({ apiBaseUrl: api, accessToken: 'APP_USR-test', pageSize: options.pageSize ?? 2 }),
      dryRun: options.dryRun ?? false,
    });

  it('creates the payments and subscriptions never notified, with the identity a notification gives, across pages, once', async () => {
    const notified = await make('payments', { status: 'approved', transaction_amount: 100 });
    assert.equal((await notify(notified)).status, 200);
    const lost: string[] = [];
    for (let i = 0; i < 5; i++) lost.push(await make('payments', { status: 'approved', transaction_amount: 100 + i }));
    const subscription = await make('preapprovals', { status: 'authorized' });
    const first = await run();
    assert.deepEqual(
      first.created.map((e) => e.entityKey).sort(),
      [...lost.map((id) => `payment:${id}`), `subscription_preapproval:${subscription}`].sort(),
    );
    const byWebhook = (await store.listEvents({ entityKey: `payment:${notified}` })).items;
    assert.equal(byWebhook.length, 1, 'the notified payment is not created again');
    const found = first.created.find((e) => e.entityKey === `payment:${lost[0]}`);
    assert.equal(found?.type, byWebhook[0]?.type, 'the type a notification gives');
    assert.deepEqual((found?.payload as { data: unknown }).data, { id: lost[0] });
    assert.equal(found?.origin, 'reconciliation');
    assert.equal(first.created.find((e) => e.entityKey?.startsWith('subscription_preapproval:'))?.type, 'subscription_preapproval.updated');
    assert.equal((await run()).created.length, 0, 'a rerun creates nothing');
  });

  it('a payment refunded after its notification, whose refund notification was lost, is found; made before the window, too', async () => {
    const longAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const recent = await make('payments', { status: 'approved', transaction_amount: 90 });
    const old = await make('payments', { status: 'approved', transaction_amount: 80, date_created: longAgo, date_last_updated: longAgo });
    assert.equal((await notify(recent)).status, 200);
    assert.equal((await notify(old)).status, 200);
    assert.equal((await run()).created.length, 0, 'both are held by their notifications');
    // Both refunded now; the refund notifications never arrive.
    await make('payments', { id: recent, status: 'refunded', transaction_amount: 90 });
    await make('payments', { id: old, status: 'refunded', transaction_amount: 80, date_created: longAgo });
    const found = await run();
    assert.deepEqual(
      found.created.map((e) => [e.entityKey, e.providerEventId]).sort(),
      [
        [`payment:${old}`, `${old}:reconciled-refunded`],
        [`payment:${recent}`, `${recent}:reconciled-refunded`],
      ].sort(),
    );
    assert.equal((await run()).created.length, 0, 'a rerun creates nothing');
    // A change notified after it happened is held by that notification.
    await make('payments', { id: recent, status: 'charged_back', transaction_amount: 90 });
    assert.equal((await notify(recent)).status, 200);
    assert.equal((await run()).created.length, 0);
  });

  it('a subscription created before the window is not created, though /preapproval/search takes no date filter', async () => {
    // MercadoPago documents no date filter for subscriptions, and the sandbox, like an API, ignores
    // one it does not know: every subscription the account ever had is listed. One older than the
    // window (older than webpig, say) must not become a "never notified" event for its pipeline.
    const longAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const old = await make('preapprovals', { status: 'authorized', date_created: longAgo, last_modified: longAgo });
    const recent = await make('preapprovals', { status: 'authorized' });
    const listed = (await (await fetch(`${api}/preapproval/search?range=date_created&begin_date=${new Date().toISOString()}`)).json()) as {
      results: Array<{ id: string; last_modified?: string }>;
    };
    assert.ok(
      listed.results.some((r) => r.id === old),
      'the sandbox ignores a date filter on subscriptions',
    );
    assert.ok(
      listed.results.every((r) => typeof r.last_modified === 'string'),
      "a subscription's last change is `last_modified`",
    );
    const found = await run({ pageSize: 1 });
    const subscriptions = found.created.map((e) => e.entityKey).filter((key) => key?.startsWith('subscription_preapproval:'));
    assert.deepEqual(subscriptions, [`subscription_preapproval:${recent}`]);
    // Paused in the window, its notification lost: created before the window, it is found all the same.
    await make('preapprovals', { id: old, status: 'paused', date_created: longAgo });
    assert.deepEqual(
      (await run()).created.map((e) => e.providerEventId),
      [`${old}:reconciled-paused`],
    );
  });

  it('a subscription cancelled after its notification, whose cancellation notification was lost, is found once as cancelled', async () => {
    const subscription = await make('preapprovals', { status: 'authorized' });
    assert.equal((await notify(subscription, 'subscription_preapproval')).status, 200);
    assert.equal((await run()).created.length, 0, 'held by its notification');
    // Cancelled now; the notification never arrives.
    await make('preapprovals', { id: subscription, status: 'cancelled' });
    const found = await run();
    assert.deepEqual(
      found.created.map((e) => [e.entityKey, e.providerEventId, e.type, e.origin]),
      [
        [
          `subscription_preapproval:${subscription}`,
          `${subscription}:reconciled-cancelled`,
          'subscription_preapproval.updated',
          'reconciliation',
        ],
      ],
    );
    assert.deepEqual((found.created[0]?.payload as { data: unknown }).data, { id: subscription });
    assert.equal((await run()).created.length, 0, 'a second run creates nothing');
    // A change notified after it happened is held by that notification.
    await make('preapprovals', { id: subscription, status: 'paused' });
    assert.equal((await notify(subscription, 'subscription_preapproval')).status, 200);
    assert.equal((await run()).created.length, 0);
  });

  it('a window starting at midnight in Bogotá lists a payment made at 23:30 there (04:30 the next day in UTC)', async () => {
    // MercadoPago writes its dates with the account's offset; the window is an instant.
    const day = new Date(Date.now() - 5 * 3_600_000 - 86_400_000).toISOString().slice(0, 10); // yesterday in Bogotá
    const midnight = new Date(`${day}T00:00:00.000-05:00`);
    const late = await make('payments', {
      status: 'approved',
      transaction_amount: 120_000,
      date_created: `${day}T23:30:00.000-05:00`,
      date_last_updated: `${day}T23:30:00.000-05:00`,
    });
    const dayBefore = new Date(midnight.getTime() - 30 * 60_000).toISOString().replace('Z', '+00:00');
    const before = await make('payments', {
      status: 'approved',
      transaction_amount: 1,
      date_created: dayBefore,
      date_last_updated: dayBefore,
    });
    const result = await reconcileSource({
      store,
      source: 'mercadopago',
      since: midnight,
      dryRun: true,
      list: mercadopagoSearchList({ apiBaseUrl: api, accessToken: 'APP_USR-test', pageSize: 50 }),
    });
    const ids = result.missing.map((m) => m.providerEventId);
    assert.ok(ids.includes(`${late}:reconciled-approved`), 'the 23:30 payment is in the window');
    assert.ok(!ids.includes(`${before}:reconciled-approved`), 'the one made half an hour before it is not');
    await run(); // leave nothing missing for the next test
  });

  it('backs off on 429 then goes on; --dry-run changes nothing', async () => {
    const lost = await make('payments', { status: 'approved', transaction_amount: 7 });
    const fault = await fetch(`${baseUrlOf(sandbox.app)}/sandbox/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'mercadopago', operation: 'search_payments', mode: 'error', status: 429, count: 1 }),
    });
    assert.ok(fault.ok);
    const before = await store.countEvents({});
    const dry = await run({ dryRun: true, backoffMs: [5] });
    assert.deepEqual(
      dry.missing.map((m) => m.providerEventId),
      [`${lost}:reconciled-approved`],
    );
    assert.equal(await store.countEvents({}), before);
    const result = await run();
    assert.deepEqual(
      result.created.map((e) => e.entityKey),
      [`payment:${lost}`],
    );
  });
});
