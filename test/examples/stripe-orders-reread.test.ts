/**
 * Issue "The seeds' stories" item 7: a decision that depends on the payment's current state
 * (shipping) re-reads the PaymentIntent from Stripe's API — through the official `stripe`
 * package, against the sandbox's Stripe over HTTP — instead of trusting a possibly old event;
 * and a refund event, which carries no cart or e-mail, still shows the order's customer and
 * product on the dashboard.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stripeOrdersPipeline } from '../../examples/stripe-orders/pipeline.js';
import { seedDemoStock } from '../../examples/stripe-orders/sample-events.js';
import { startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import {
  chargeObject,
  deliverStripe,
  orderFixture,
  paymentIntentObject,
  startShop,
  STRIPE_SOURCES,
  type OrderFixture,
  type ShopApp,
} from '../helpers/stripe-order-events.js';

const T0 = 1_763_960_000;

describe('stripe-orders: Stripe says what is true now', () => {
  let engine: EngineHarness;
  let shop: ShopApp;
  let stripe: SandboxApp;

  before(async () => {
    shop = await startShop();
    seedDemoStock(shop.backend);
    stripe = await startSandboxApp({ listen: true });
    const stripeApi = { baseUrl: `${baseUrlOf(stripe.app)}/sandbox/stripe`, apiKey: 'sk_test_sandbox' };
    engine = await startEngine({
      sources: STRIPE_SOURCES,
      pipelines: (store) => [stripeOrdersPipeline({ shopBaseUrl: shop.baseUrl, alerts: store, stripeApi })],
    });
  });
  after(async () => {
    await engine.close({ keep: false });
    await stripe.close();
    await shop.close();
  });

  /** The PaymentIntent's state at Stripe, as `GET /v1/payment_intents/:id` will describe it. */
  async function atStripe(order: OrderFixture, status: string, latestCharge: Record<string, unknown> | null = null): Promise<void> {
    const res = await stripe.app.inject({
      method: 'POST',
      url: '/sandbox/stripe/payment_intents',
      payload: {
        ...paymentIntentObject(order, status),
        amount_received: status === 'succeeded' ? order.amountMinor : 0,
        latest_charge: latestCharge,
      },
    });
    assert.ok(res.statusCode < 300, res.body);
  }

  const succeeded = (order: OrderFixture, created: number) =>
    deliverStripe(engine, {
      id: `evt_${order.paymentIntent}_ok_${created}`,
      type: 'payment_intent.succeeded',
      created,
      object: paymentIntentObject(order, 'succeeded'),
    });

  it('ships when Stripe confirms the payment succeeded', async () => {
    const order = orderFixture('reread-ok');
    await atStripe(order, 'succeeded', { id: 'ch_ok', object: 'charge', refunded: false, amount_refunded: 0 });
    const event = await waitForEvent(engine.store, (await succeeded(order, T0)).id);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    assert.equal(shop.backend.fulfilments.filter((f) => f.orderId === order.paymentIntent).length, 1);
  });

  it('does not ship on an old "succeeded" event when Stripe says the payment was refunded since', async () => {
    const order = orderFixture('reread-refunded');
    await atStripe(order, 'succeeded', { id: 'ch_refunded', object: 'charge', refunded: true, amount_refunded: order.amountMinor });
    const event = await waitForEvent(engine.store, (await succeeded(order, T0 + 1)).id);
    const fulfilment = (await engine.store.getCheckpoints(event.id)).find((c) => c.stage === 'fulfilment');
    assert.equal(fulfilment?.status, 'skipped');
    assert.deepEqual(fulfilment?.skipReason, {
      kind: 'condition',
      detail: `Stripe says payment ${order.paymentIntent} was refunded: not shipped`,
    });
    assert.equal(shop.backend.fulfilments.filter((f) => f.orderId === order.paymentIntent).length, 0, 'nothing shipped');
  });

  it('does not ship when Stripe says the payment is not succeeded (any more)', async () => {
    const order = orderFixture('reread-canceled');
    await atStripe(order, 'canceled');
    const event = await waitForEvent(engine.store, (await succeeded(order, T0 + 2)).id);
    const fulfilment = (await engine.store.getCheckpoints(event.id)).find((c) => c.stage === 'fulfilment');
    assert.deepEqual(fulfilment?.skipReason, {
      kind: 'condition',
      detail: `Stripe says payment ${order.paymentIntent} is canceled now: not shipped`,
    });
  });

  it("a refund event shows the order's customer and product, which only the shop's order knows", async () => {
    const order = orderFixture('reread-summary', [{ sku: 'HOODIE', quantity: 2 }]);
    await atStripe(order, 'succeeded', { id: 'ch_s', object: 'charge', refunded: false, amount_refunded: 0 });
    await waitForEvent(engine.store, (await succeeded(order, T0 + 3)).id);
    const charge = chargeObject(order, order.amountMinor);
    assert.equal((charge as { receipt_email?: unknown }).receipt_email ?? null, null, 'the refund event itself names no customer');
    const refund = await deliverStripe(engine, {
      id: `evt_${order.paymentIntent}_refund`,
      type: 'charge.refunded',
      created: T0 + 4,
      object: charge,
    });
    const event = await waitForEvent(engine.store, refund.id);
    assert.equal(event.summary.customer?.email, order.email);
    assert.equal(event.summary.product?.name, '2× HOODIE');
  });
});
