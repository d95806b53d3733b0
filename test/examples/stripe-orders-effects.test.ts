/**
 * The Stripe orders pipeline's effects, one story each: a late event changes nothing, a refund
 * gives stock back once, an oversold item is an alert (never negative stock), and OXXO gets its
 * voucher e-mail first and its fulfilment only when the cash arrives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleOrderEvents, seedDemoStock, type SampleOrderKind } from '../../examples/stripe-orders/sample-events.js';
import { waitForEvent } from '../helpers/example-pipelines.js';
import {
  chargeObject,
  deliverStripe,
  orderFixture,
  type OrderFixture,
  oxxoNextAction,
  paymentIntentObject,
  sessionObject,
  type StripeEventSpec,
  stripeOrdersForDescribe,
} from '../helpers/stripe-order-events.js';

const T0 = 1_763_950_000;

describe('stripe-orders: effects', () => {
  let failures = 0;
  const rig = stripeOrdersForDescribe({ keep: () => failures > 0 });

  /** Delivers one event and waits until the worker has finished with it. */
  async function send(spec: StripeEventSpec) {
    const stored = await deliverStripe(rig.engine, spec);
    return waitForEvent(rig.engine.store, stored.id);
  }

  const pi = (order: OrderFixture, type: string, status: string, created: number, nextAction: unknown = null): StripeEventSpec => ({
    id: `evt_${order.paymentIntent}_${type}_${created}`,
    type,
    created,
    object: paymentIntentObject(order, status, nextAction),
  });

  function counts(orderId: string) {
    const { backend } = rig.shop;
    return {
      sales: backend.listAdjustments({ orderId, reason: 'sale' }).length,
      restores: backend.listAdjustments({ orderId, reason: 'restore' }).length,
      fulfilments: backend.fulfilments.filter((f) => f.orderId === orderId).length,
      emails: backend.emails.filter((e) => e.orderId === orderId).map((e) => e.template),
    };
  }

  it('ignores and records an event older than the order state, and an invalid move, changing nothing', async () => {
    failures++;
    const order = orderFixture('late');
    rig.shop.backend.setStock('TSHIRT-M', 10);
    await send(pi(order, 'payment_intent.created', 'requires_payment_method', T0));
    await send(pi(order, 'payment_intent.succeeded', 'succeeded', T0 + 2));
    const before = { ...counts(order.paymentIntent), stock: rig.shop.backend.stockOf('TSHIRT-M') };
    assert.deepEqual(before, { sales: 1, restores: 0, fulfilments: 1, emails: ['order_confirmation'], stock: 9 });

    const stale = await send(pi(order, 'payment_intent.processing', 'processing', T0 + 1));
    assert.equal(stale.status, 'ignored');
    assert.equal(stale.ignoreReason?.kind, 'stale_transition');
    // Newer, but paid → failed is not a move Stripe makes.
    const invalid = await send(pi(order, 'payment_intent.payment_failed', 'requires_payment_method', T0 + 5));
    assert.equal(invalid.status, 'ignored');
    assert.equal(invalid.ignoreReason?.kind, 'invalid_transition');

    for (const event of [stale, invalid]) assert.deepEqual(await rig.engine.store.getCheckpoints(event.id), []);
    assert.equal((await rig.engine.store.getEntityState(order.paymentIntent))?.state, 'paid');
    assert.equal(rig.shop.backend.getOrder(order.paymentIntent)?.state, 'paid');
    assert.deepEqual({ ...counts(order.paymentIntent), stock: rig.shop.backend.stockOf('TSHIRT-M') }, before);
    failures--;
  });

  it('lets a failed attempt be retried: failed → processing → paid', async () => {
    failures++;
    const order = orderFixture('retried');
    rig.shop.backend.setStock('TSHIRT-M', 10);
    await send(pi(order, 'payment_intent.created', 'requires_payment_method', T0));
    const failed = await send(pi(order, 'payment_intent.payment_failed', 'requires_payment_method', T0 + 1));
    assert.equal(failed.status, 'succeeded');
    assert.equal(rig.shop.backend.getOrder(order.paymentIntent)?.state, 'failed');
    assert.equal(counts(order.paymentIntent).sales, 0, 'a failed payment takes no stock');
    assert.equal((await send(pi(order, 'payment_intent.processing', 'processing', T0 + 2))).status, 'succeeded');
    assert.equal((await send(pi(order, 'payment_intent.succeeded', 'succeeded', T0 + 3))).status, 'succeeded');
    assert.equal((await rig.engine.store.getEntityState(order.paymentIntent))?.state, 'paid');
    assert.deepEqual(counts(order.paymentIntent), { sales: 1, restores: 0, fulfilments: 1, emails: ['order_confirmation'] });
    assert.equal(rig.shop.backend.stockOf('TSHIRT-M'), 9);
    failures--;
  });

  it('gives stock back once on a full refund; a partial refund changes nothing', async () => {
    failures++;
    const order = orderFixture('refund', [{ sku: 'HOODIE', quantity: 2 }]);
    rig.shop.backend.setStock('HOODIE', 5);
    await send(pi(order, 'payment_intent.created', 'requires_payment_method', T0));
    await send(pi(order, 'payment_intent.succeeded', 'succeeded', T0 + 1));
    assert.equal(rig.shop.backend.stockOf('HOODIE'), 3);

    const charge = (refunded: number, created: number): StripeEventSpec => ({
      id: `evt_refund_${refunded}_${created}`,
      type: 'charge.refunded',
      created,
      object: chargeObject(order, refunded),
    });
    const partial = await send(charge(5_000, T0 + 10));
    assert.equal(partial.status, 'succeeded');
    assert.equal(rig.shop.backend.stockOf('HOODIE'), 3, 'a partial refund keeps the order paid and the stock taken');
    assert.equal((await rig.engine.store.getEntityState(order.paymentIntent))?.state, 'paid');

    const full = await send(charge(order.amountMinor, T0 + 20));
    assert.equal(full.status, 'succeeded');
    assert.equal(rig.shop.backend.stockOf('HOODIE'), 5);
    assert.equal(rig.shop.backend.getOrder(order.paymentIntent)?.state, 'refunded');
    // Stripe reports the refund again (another charge.refunded): refunded is final.
    const again = await send(charge(order.amountMinor, T0 + 30));
    assert.equal(again.status, 'ignored');
    assert.equal(rig.shop.backend.stockOf('HOODIE'), 5, 'stock given back once');
    assert.deepEqual(counts(order.paymentIntent), { sales: 1, restores: 1, fulfilments: 1, emails: ['order_confirmation'] });
    failures--;
  });

  it('never takes stock below zero: an oversold item raises an oversold alert', async () => {
    failures++;
    const order = orderFixture('oversold', [
      { sku: 'MUG', quantity: 3 },
      { sku: 'CAP', quantity: 1 },
    ]);
    rig.shop.backend.setStock('MUG', 1);
    rig.shop.backend.setStock('CAP', 4);
    await send(pi(order, 'payment_intent.created', 'requires_payment_method', T0));
    const paid = await send(pi(order, 'payment_intent.succeeded', 'succeeded', T0 + 1));
    assert.equal(paid.status, 'succeeded');
    assert.equal(rig.shop.backend.stockOf('MUG'), 0, 'stays at zero, not -2');
    assert.equal(rig.shop.backend.stockOf('CAP'), 3);
    const alerts = (await rig.engine.store.listAlerts()).items.filter((a) => a.kind === 'oversold');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.eventId, paid.id);
    assert.equal(alerts[0]?.subject, 'sku:MUG', 'one issue per SKU, not per order');
    assert.deepEqual(alerts[0]?.details, { orderId: order.paymentIntent, sku: 'MUG', shortfall: 2, lines: [{ sku: 'MUG', shortfall: 2 }] });
    // The session's completion is a second "paid": ignored, and no second alert.
    await send({ id: 'evt_oversold_completed', type: 'checkout.session.completed', created: T0 + 2, object: sessionObject(order, 'paid') });
    assert.equal((await rig.engine.store.listAlerts()).items.filter((a) => a.kind === 'oversold').length, 1);
    // A refund gives back only what was really taken: one mug, one cap.
    await send({ id: 'evt_oversold_refund', type: 'charge.refunded', created: T0 + 3, object: chargeObject(order, order.amountMinor) });
    assert.equal(rig.shop.backend.stockOf('MUG'), 1);
    assert.equal(rig.shop.backend.stockOf('CAP'), 4);
    failures--;
  });

  it('OXXO: voucher e-mail on requires_action, fulfilment only on the async success, once despite a failed reply', async () => {
    failures++;
    const order = orderFixture('oxxo', [{ sku: 'TSHIRT-M', quantity: 1 }]);
    rig.shop.backend.setStock('TSHIRT-M', 10);
    const voucher = { number: '12345678901234567890', url: 'https://payments.stripe.com/oxxo/voucher/test_oxxo' };
    await send(pi(order, 'payment_intent.created', 'requires_payment_method', T0));
    await send(pi(order, 'payment_intent.requires_action', 'requires_action', T0 + 1, oxxoNextAction(voucher)));
    const unpaid = await send({
      id: 'evt_oxxo_completed',
      type: 'checkout.session.completed',
      created: T0 + 2,
      object: sessionObject(order, 'unpaid'),
    });
    assert.equal(unpaid.status, 'succeeded');
    assert.equal(rig.shop.backend.getOrder(order.paymentIntent)?.state, 'requires_action', 'an unpaid session does not move the order');
    const emails = rig.shop.backend.emails.filter((e) => e.orderId === order.paymentIntent);
    assert.deepEqual(
      emails.map((e) => [e.template, e.to, e.data['voucherUrl']]),
      [['oxxo_voucher', order.email, voucher.url]],
    );
    assert.deepEqual(
      { ...counts(order.paymentIntent), stock: rig.shop.backend.stockOf('TSHIRT-M') },
      {
        sales: 0,
        restores: 0,
        fulfilments: 0,
        emails: ['oxxo_voucher'],
        stock: 10,
      },
    );

    // The confirmation e-mail is sent but its reply is lost: the retry must not send it again.
    rig.shop.backend.injectFault({ operation: 'send_email', mode: 'effect_then_fail', remaining: 1 });
    const cash = await send({
      id: 'evt_oxxo_async_succeeded',
      type: 'checkout.session.async_payment_succeeded',
      created: T0 + 3600,
      object: sessionObject(order, 'paid'),
    });
    assert.equal(cash.status, 'succeeded');
    const emailCheckpoint = (await rig.engine.store.getCheckpoints(cash.id)).find((c) => c.stage === 'confirmation_email');
    assert.equal(emailCheckpoint?.attempts, 2, 'the lost reply made the stage run twice');
    await send(pi(order, 'payment_intent.succeeded', 'succeeded', T0 + 3601));
    assert.deepEqual(
      { ...counts(order.paymentIntent), stock: rig.shop.backend.stockOf('TSHIRT-M') },
      {
        sales: 1,
        restores: 0,
        fulfilments: 1,
        emails: ['oxxo_voucher', 'order_confirmation'],
        stock: 9,
      },
    );
    failures--;
  });

  it("the demo's sample orders, delivered backwards and all at once, end where they should", async () => {
    failures++;
    seedDemoStock(rig.shop.backend);
    const expected: Record<SampleOrderKind, string> = { card: 'paid', oxxo: 'paid', refunded: 'refunded', oversold: 'paid' };
    for (const kind of Object.keys(expected) as SampleOrderKind[]) {
      const events = sampleOrderEvents({ name: `sample_${kind}`, kind, start: new Date(T0 * 1000) }).reverse();
      const stored = await Promise.all(
        events.map((e) => deliverStripe(rig.engine, { id: e.id, type: e.type, created: e.created, object: e.data.object })),
      );
      await Promise.all(stored.map((s) => waitForEvent(rig.engine.store, s.id)));
      assert.equal(rig.shop.backend.getOrder(`pi_demo_sample_${kind}`)?.state, expected[kind], kind);
    }
    assert.equal(rig.shop.backend.stockOf('CAMISETA-M'), 49, 'card took one; the refunded order gave its two back');
    assert.equal(rig.shop.backend.stockOf('SUDADERA-L'), 19);
    assert.equal(rig.shop.backend.stockOf('TAZA-EDICION'), 0);
    failures--;
  });
});

/**
 * The second line of defence: even with the state machine switched off (every event runs every
 * stage), the per-order idempotency keys keep each effect to once per order.
 */
describe('stripe-orders: effects keyed per order, without the state machine', () => {
  let failures = 0;
  const rig = stripeOrdersForDescribe({ keep: () => failures > 0, adapt: (pipeline) => ({ ...pipeline, entity: undefined }) });

  it('two "paid" events both run their stages, and still stock moves once and one e-mail is sent', async () => {
    failures++;
    const order = orderFixture('no_machine');
    rig.shop.backend.setStock('TSHIRT-M', 10);
    const specs: StripeEventSpec[] = [
      { id: 'evt_nm_succeeded', type: 'payment_intent.succeeded', created: T0, object: paymentIntentObject(order, 'succeeded') },
      { id: 'evt_nm_completed', type: 'checkout.session.completed', created: T0 + 1, object: sessionObject(order, 'paid') },
    ];
    for (const spec of specs) {
      const event = await waitForEvent(rig.engine.store, (await deliverStripe(rig.engine, spec)).id);
      assert.equal(event.status, 'succeeded');
      const stock = (await rig.engine.store.getCheckpoints(event.id)).find((c) => c.stage === 'stock');
      assert.equal(stock?.status, 'success', `${spec.type} ran the stock stage`);
    }
    assert.equal(rig.shop.backend.stockOf('TSHIRT-M'), 9);
    assert.equal(rig.shop.backend.listAdjustments({ orderId: order.paymentIntent }).length, 1);
    assert.equal(rig.shop.backend.fulfilments.length, 1);
    assert.deepEqual(
      rig.shop.backend.emails.map((e) => e.template),
      ['order_confirmation'],
    );
    failures--;
  });
});
