/**
 * A MercadoPago subscription cancelled without its notification ever arriving, end to end: the
 * PetGourmet subscription (examples/subscriptions) authorized and notified is active; cancelled
 * at MercadoPago, its notification lost, a reconciliation run finds it (`last_modified` moved
 * after the last event of its entity), the worker runs the pipeline on the found event and the
 * shop's row is cancelled. A second run finds nothing more. Real HTTP (the webhook route, the
 * sandbox's MercadoPago), the real worker.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { subscriptionReference } from '../../examples/subscriptions/activation.js';
import { subscriptionsPipeline } from '../../examples/subscriptions/pipeline.js';
import { SubscriptionStore } from '../../examples/subscriptions/subscription-store.js';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { mercadopagoSearchList } from '../../src/sources/listing/mercadopago-search.js';
import { deliver, startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

describe('MercadoPago: a subscription cancelled without a notification is found and cancelled in the shop', () => {
  let sandbox: SandboxApp;
  let engine: EngineHarness;
  let appDb: { dir: string; remove: () => void };
  let subscriptions: SubscriptionStore;
  let mpApi: string;

  before(async () => {
    sandbox = await startSandboxApp({ listen: true });
    mpApi = `${baseUrlOf(sandbox.app)}/sandbox/mercadopago`;
    appDb = tempDatabaseDir('petgourmet-reconcile-');
    subscriptions = new SubscriptionStore(join(appDb.dir, 'app.db'));
    engine = await startEngine({
      sources: [{ name: 'mercadopago', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      pipelines: [subscriptionsPipeline({ subscriptions, mercadopagoApiUrl: mpApi, mercadopagoAccessToken: 'TEST-token' })],
    });
  });
  after(async () => {
    await engine?.close();
    subscriptions?.close();
    appDb?.remove();
    await sandbox?.close();
  });

  const atMercadoPago = async (preapproval: Record<string, unknown>) => {
    const reply = await fetch(`${mpApi}/preapprovals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(preapproval),
    });
    assert.ok(reply.status === 200 || reply.status === 201, await reply.text());
  };
  const reconcile = () =>
    reconcileSource({
      store: engine.store,
      source: 'mercadopago',
      since: new Date(Date.now() - 3_600_000),
      list: mercadopagoSearchList({ apiBaseUrl: mpApi, accessToken: 'APP_USR-test' }),
    });

  it('authorized and notified, then cancelled with the notification lost: one run cancels the row, a second finds nothing', async () => {
    const reference = subscriptionReference('user-lost-cancel', 'plan-mensual');
    const preapproval = { id: 'pre-lost-cancel', status: 'authorized', external_reference: reference, payer_email: 'lost@example.com' };
    await atMercadoPago(preapproval);
    const signed = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      dataId: preapproval.id,
      requestId: 'req-authorized',
      body: {
        id: 1,
        live_mode: false,
        type: 'subscription_preapproval',
        action: 'updated',
        date_created: new Date().toISOString(),
        data: { id: preapproval.id },
      },
    });
    const notified = await waitForEvent(engine.store, (await deliver(engine, 'mercadopago', signed)).id);
    assert.equal(notified.status, 'succeeded', JSON.stringify(notified.lastError));
    assert.equal(subscriptions.list({ userId: 'user-lost-cancel' })[0]?.status, 'active');
    assert.equal((await reconcile()).created.length, 0, 'held by its notification');

    await atMercadoPago({ ...preapproval, status: 'cancelled' }); // its notification never arrives
    const found = await reconcile();
    assert.deepEqual(
      found.created.map((e) => [e.entityKey, e.providerEventId]),
      [[`subscription_preapproval:${preapproval.id}`, `${preapproval.id}:reconciled-cancelled`]],
    );
    const processed = await waitForEvent(engine.store, found.created[0]!.id);
    assert.equal(processed.status, 'succeeded', JSON.stringify(processed.lastError));
    const rows = subscriptions.list({ userId: 'user-lost-cancel' });
    assert.deepEqual(
      rows.map((row) => row.status),
      ['cancelled'],
      'the one row, cancelled',
    );
    assert.equal((await reconcile()).created.length, 0, 'a second run creates nothing');
  });
});
