/**
 * The subscription's later life through notifications: a recurring charge
 * (`subscription_authorized_payment`, read at `/authorized_payments/{id}`, which the sandbox does
 * not serve — so a small local MercadoPago stand-in on 127.0.0.1 does), then a cancellation.
 * Still one row, and a cancelled subscription is never reactivated.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { subscriptionReference } from '../../examples/subscriptions/activation.js';
import { subscriptionsPipeline } from '../../examples/subscriptions/pipeline.js';
import { SubscriptionStore } from '../../examples/subscriptions/subscription-store.js';
import { deliver, startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf } from '../helpers/sandbox-app.js';
import { signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

describe('subscriptions: recurring charges and cancellation', () => {
  const preapprovals = new Map<string, Record<string, unknown>>();
  const authorizedPayments = new Map<string, Record<string, unknown>>();
  let api: FastifyInstance;
  let engine: EngineHarness;
  let appDb: { dir: string; remove: () => void };
  let subscriptions: SubscriptionStore;
  let failures = 0;
  let seq = 1;

  before(async () => {
    api = Fastify({ logger: false });
    for (const [path, objects] of [['/preapproval/:id', preapprovals], ['/authorized_payments/:id', authorizedPayments]] as const) {
      api.get<{ Params: { id: string } }>(path, async (request, reply) => {
        const found = objects.get(request.params.id);
        return found ?? reply.status(404).send({ message: 'not found' });
      });
    }
    await api.listen({ host: '127.0.0.1', port: 0 });
    appDb = tempDatabaseDir('petgourmet-recurring-');
    subscriptions = new SubscriptionStore(join(appDb.dir, 'app.db'));
    engine = await startEngine({
      sources: [{ name: 'mercadopago', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      pipelines: [subscriptionsPipeline({ subscriptions, mercadopagoApiUrl: baseUrlOf(api), mercadopagoAccessToken: 'TEST-token' })],
    });
  });

  after(async () => {
    await engine.close({ keep: failures > 0 });
    subscriptions.close();
    if (failures === 0) appDb.remove();
    await api.close();
  });

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
    subscriptions.ensure({ userId: 'user-recurring', planId: 'plan-trimestral', externalReference: reference, createdBy: 'checkout', now: new Date() });
    preapprovals.set('pre-rec', { id: 'pre-rec', status: 'authorized', external_reference: reference, payer_email: 'rec@example.com' });
    authorizedPayments.set('6114264375', { id: 6114264375, preapproval_id: 'pre-rec', status: 'processed', payment: { id: 90001, status: 'approved' } });

    assert.deepEqual(await notify('subscription_authorized_payment', '6114264375'), { subscriptionId: 1, outcome: 'activated', status: 'active' });
    let [row] = subscriptions.list({ userId: 'user-recurring' });
    assert.equal(row?.lastPaymentId, '90001');
    assert.equal(row?.mercadopagoPreapprovalId, 'pre-rec');

    preapprovals.set('pre-rec', { ...preapprovals.get('pre-rec'), status: 'cancelled' });
    assert.equal((await notify('subscription_preapproval', 'pre-rec')).outcome, 'cancelled');
    // A late "authorized" (MercadoPago's state changed back? it cannot: cancelled is final).
    preapprovals.set('pre-rec', { ...preapprovals.get('pre-rec'), status: 'authorized' });
    assert.equal((await notify('subscription_preapproval', 'pre-rec')).outcome, 'already_cancelled');
    const rows = subscriptions.list({ userId: 'user-recurring' });
    assert.equal(rows.length, 1);
    [row] = rows;
    assert.equal(row?.status, 'cancelled');
    failures--;
  });
});
