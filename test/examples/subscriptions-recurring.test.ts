/**
 * The subscription's later life through notifications: a recurring charge
 * (`subscription_authorized_payment`, read at the sandbox's `/authorized_payments/{id}`), then a
 * cancellation. Still one row, and a cancelled subscription is never reactivated.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { subscriptionReference } from '../../examples/subscriptions/activation.js';
import { subscriptionsPipeline } from '../../examples/subscriptions/pipeline.js';
import { SubscriptionStore } from '../../examples/subscriptions/subscription-store.js';
import { deliver, startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

describe('subscriptions: recurring charges and cancellation', () => {
  let api: SandboxApp;
  let engine: EngineHarness;
  let appDb: { dir: string; remove: () => void };
  let subscriptions: SubscriptionStore;
  let failures = 0;
  let seq = 1;

  before(async () => {
    api = await startSandboxApp({ listen: true });
    appDb = tempDatabaseDir('petgourmet-recurring-');
    subscriptions = new SubscriptionStore(join(appDb.dir, 'app.db'));
    engine = await startEngine({
      sources: [{ name: 'mercadopago', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      pipelines: [
        subscriptionsPipeline({
          subscriptions,
          mercadopagoApiUrl: `${baseUrlOf(api.app)}/sandbox/mercadopago`,
          mercadopagoAccessToken: 'TEST-token',
        }),
      ],
    });
  });

  after(async () => {
    await engine.close({ keep: failures > 0 });
    subscriptions.close();
    if (failures === 0) appDb.remove();
    await api.close();
  });

  /** Sets an object's current state at the sandbox's MercadoPago. */
  async function atMercadoPago(collection: 'preapprovals' | 'authorized_payments', object: Record<string, unknown>): Promise<void> {
    const res = await api.app.inject({ method: 'POST', url: `/sandbox/mercadopago/${collection}`, payload: object });
    assert.ok(res.statusCode === 200 || res.statusCode === 201, res.body);
  }

  async function notify(type: string, dataId: string): Promise<{ outcome?: string; status?: string }> {
    const id = seq++;
    const signed = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      dataId,
      requestId: `req-recurring-${id}`,
      body: { id, live_mode: false, type, action: 'updated', date_created: new Date().toISOString(), data: { id: dataId } },
    });
    const event = await waitForEvent(engine.store, (await deliver(engine, 'mercadopago', signed)).id);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    const checkpoint = (await engine.store.getCheckpoints(event.id)).find((c) => c.stage === 'activate_subscription');
    return (checkpoint?.data ?? {}) as { outcome?: string; status?: string };
  }

  it('a recurring charge activates and records the payment; a cancellation is final', async () => {
    failures++;
    const reference = subscriptionReference('user-recurring', 'plan-trimestral');
    subscriptions.ensure({
      userId: 'user-recurring',
      planId: 'plan-trimestral',
      externalReference: reference,
      createdBy: 'checkout',
      now: new Date(),
    });
    const preapproval = { id: 'pre-rec', status: 'authorized', external_reference: reference, payer_email: 'rec@example.com' };
    await atMercadoPago('preapprovals', preapproval);
    await atMercadoPago('authorized_payments', {
      id: 6114264375,
      preapproval_id: 'pre-rec',
      status: 'processed',
      payment: { id: 90001, status: 'approved' },
    });

    assert.deepEqual(await notify('subscription_authorized_payment', '6114264375'), {
      subscriptionId: 1,
      outcome: 'activated',
      status: 'active',
    });
    let [row] = subscriptions.list({ userId: 'user-recurring' });
    assert.equal(row?.lastPaymentId, '90001');
    assert.equal(row?.mercadopagoPreapprovalId, 'pre-rec');

    await atMercadoPago('preapprovals', { ...preapproval, status: 'cancelled' });
    assert.equal((await notify('subscription_preapproval', 'pre-rec')).outcome, 'cancelled');
    // A late "authorized" (MercadoPago's state changed back? it cannot: cancelled is final).
    await atMercadoPago('preapprovals', { ...preapproval, status: 'authorized' });
    assert.equal((await notify('subscription_preapproval', 'pre-rec')).outcome, 'already_cancelled');
    const rows = subscriptions.list({ userId: 'user-recurring' });
    assert.equal(rows.length, 1);
    [row] = rows;
    assert.equal(row?.status, 'cancelled');
    failures--;
  });
});
