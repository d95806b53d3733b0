/**
 * The Stripe orders pipeline under disorder, for the lifecycles the card test
 * (stripe-orders.test.ts) does not cover: an OXXO payment (voucher, unpaid session, cash later),
 * an OXXO voucher that expires unpaid (the seed's "Pagos OXXO … expiración"), and a card payment
 * that is refunded. Every delivery order of their events — one by one, some at once, some
 * twice — must end in the right order state, with stock moved at most once each way and every
 * e-mail at most once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../src/core/types.js';
import { waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import {
  chargeObject,
  deliverStripe,
  orderFixture,
  type OrderFixture,
  oxxoNextAction,
  paymentIntentObject,
  permutations,
  sessionObject,
  type StripeEventSpec,
  stripeOrdersForDescribe,
} from '../helpers/stripe-order-events.js';

const T0 = 1_764_100_000;
const SKU = 'LIFECYCLE-SKU';
const INITIAL_STOCK = 10_000;
/** The events that mean "paid" for OXXO (its session completes unpaid). */
const OXXO_PAID_TYPES = ['checkout.session.async_payment_succeeded', 'payment_intent.succeeded'];

/** OXXO through Checkout: the voucher, the session completing unpaid, the cash an hour later. */
function oxxoEvents(order: OrderFixture, k: number): StripeEventSpec[] {
  const t = T0 + k * 10_000;
  const voucher = oxxoNextAction({ number: `9${String(k).padStart(19, '0')}`, url: `https://payments.stripe.com/oxxo/voucher/test_${k}` });
  return [
    { id: `evt_ox${k}_created`, type: 'payment_intent.created', created: t, object: paymentIntentObject(order, 'requires_payment_method') },
    {
      id: `evt_ox${k}_action`,
      type: 'payment_intent.requires_action',
      created: t + 1,
      object: paymentIntentObject(order, 'requires_action', voucher),
    },
    { id: `evt_ox${k}_completed`, type: 'checkout.session.completed', created: t + 2, object: sessionObject(order, 'unpaid') },
    { id: `evt_ox${k}_async`, type: 'checkout.session.async_payment_succeeded', created: t + 3600, object: sessionObject(order, 'paid') },
    { id: `evt_ox${k}_succeeded`, type: 'payment_intent.succeeded', created: t + 3601, object: paymentIntentObject(order, 'succeeded') },
  ];
}

/**
 * OXXO through Checkout, never paid: the voucher expires three days later, which Stripe reports
 * as a failed payment, on the session (`async_payment_failed`) and on the intent (`payment_failed`,
 * back to `requires_payment_method`).
 */
function oxxoExpiredEvents(order: OrderFixture, k: number): StripeEventSpec[] {
  const t = T0 + 2_000_000 + k * 10_000;
  const voucher = oxxoNextAction({ number: `8${String(k).padStart(19, '0')}`, url: `https://payments.stripe.com/oxxo/voucher/test_x${k}` });
  const expired = t + 3 * 86_400;
  return [
    { id: `evt_ex${k}_created`, type: 'payment_intent.created', created: t, object: paymentIntentObject(order, 'requires_payment_method') },
    {
      id: `evt_ex${k}_action`,
      type: 'payment_intent.requires_action',
      created: t + 1,
      object: paymentIntentObject(order, 'requires_action', voucher),
    },
    { id: `evt_ex${k}_completed`, type: 'checkout.session.completed', created: t + 2, object: sessionObject(order, 'unpaid') },
    { id: `evt_ex${k}_async`, type: 'checkout.session.async_payment_failed', created: expired, object: sessionObject(order, 'unpaid') },
    {
      id: `evt_ex${k}_failed`,
      type: 'payment_intent.payment_failed',
      created: expired + 1,
      object: paymentIntentObject(order, 'requires_payment_method'),
    },
  ];
}

/** A card payment through Checkout, fully refunded later. */
function refundEvents(order: OrderFixture, k: number): StripeEventSpec[] {
  const t = T0 + 5_000_000 + k * 100;
  return [
    { id: `evt_rf${k}_created`, type: 'payment_intent.created', created: t, object: paymentIntentObject(order, 'requires_payment_method') },
    { id: `evt_rf${k}_succeeded`, type: 'payment_intent.succeeded', created: t + 1, object: paymentIntentObject(order, 'succeeded') },
    { id: `evt_rf${k}_completed`, type: 'checkout.session.completed', created: t + 2, object: sessionObject(order, 'paid') },
    { id: `evt_rf${k}_refunded`, type: 'charge.refunded', created: t + 50, object: chargeObject(order, order.amountMinor) },
  ];
}

/** What arrived when, per order: the batch index of each event type (batches are awaited one after another). */
interface Delivery {
  order: OrderFixture;
  batchOf: Map<string, number>;
  events: EventRecord[];
}

/**
 * Delivers one order's events in `permutation` order, in one of three ways (one by one; the
 * first two at once; all at once), then redelivers one of them (stored once), and waits for all.
 */
async function deliverInOrder(
  engine: EngineHarness,
  order: OrderFixture,
  specs: StripeEventSpec[],
  permutation: number[],
  k: number,
): Promise<Delivery> {
  const ordered = permutation.map((i) => specs[i] as StripeEventSpec);
  const batches =
    k % 3 === 0 ? ordered.map((s) => [s]) : k % 3 === 1 ? [ordered.slice(0, 2), ...ordered.slice(2).map((s) => [s])] : [ordered];
  const batchOf = new Map<string, number>();
  const events: EventRecord[] = [];
  for (const [b, batch] of batches.entries()) {
    for (const spec of batch) batchOf.set(spec.type, b);
    const stored = await Promise.all(batch.map((spec) => deliverStripe(engine, spec)));
    events.push(...(await Promise.all(stored.map((s) => waitForEvent(engine.store, s.id)))));
  }
  const again = ordered[k % ordered.length] as StripeEventSpec;
  assert.equal((await deliverStripe(engine, again)).duplicate, true, `${again.id} delivered twice is stored once`);
  return { order, batchOf, events };
}

describe('stripe-orders: every delivery order of an OXXO payment and of a refunded payment', () => {
  let failed = true;
  const rig = stripeOrdersForDescribe({ stock: { [SKU]: INITIAL_STOCK }, keep: () => failed });

  function countsFor(orderId: string) {
    const { backend } = rig.shop;
    const emails = backend.emails.filter((e) => e.orderId === orderId);
    return {
      sales: backend.listAdjustments({ orderId, reason: 'sale' }).length,
      restores: backend.listAdjustments({ orderId, reason: 'restore' }).length,
      fulfilments: backend.fulfilments.filter((f) => f.orderId === orderId).length,
      confirmations: emails.filter((e) => e.template === 'order_confirmation').length,
      vouchers: emails.filter((e) => e.template === 'oxxo_voucher').length,
    };
  }

  /** Stages that ran for this event (a success checkpoint), by name. */
  async function ranStages(event: EventRecord): Promise<string[]> {
    return (await rig.engine.store.getCheckpoints(event.id)).filter((c) => c.status === 'success').map((c) => c.stage);
  }

  it('OXXO, all 120 orders of its five events: paid, stock taken once, fulfilled only by a paid event, one confirmation, at most one voucher', async () => {
    const all = permutations([0, 1, 2, 3, 4]);
    assert.equal(all.length, 120);
    const deliveries = await Promise.all(
      all.map((p, k) => {
        const order = orderFixture(`ox_${k}`, [{ sku: SKU, quantity: 1 }]);
        return deliverInOrder(rig.engine, order, oxxoEvents(order, k), p, k);
      }),
    );

    for (const [k, { order, batchOf, events }] of deliveries.entries()) {
      const where = `OXXO order ${k} (${all[k]?.join(',')})`;
      const id = order.paymentIntent;
      assert.equal((await rig.engine.store.getEntityState(id))?.state, 'paid', `${where}: entity state`);
      assert.equal(rig.shop.backend.getOrder(id)?.state, 'paid', `${where}: shop order state`);
      const counts = countsFor(id);
      assert.deepEqual(
        { ...counts, vouchers: undefined },
        { sales: 1, restores: 0, fulfilments: 1, confirmations: 1, vouchers: undefined },
        where,
      );
      // The voucher is sent when requires_action is processed before the order is paid, never after.
      const actionBatch = batchOf.get('payment_intent.requires_action') ?? -1;
      const firstPaidBatch = Math.min(...OXXO_PAID_TYPES.map((t) => batchOf.get(t) ?? Infinity));
      if (actionBatch < firstPaidBatch) assert.equal(counts.vouchers, 1, `${where}: voucher before the cash`);
      else if (actionBatch > firstPaidBatch) assert.equal(counts.vouchers, 0, `${where}: no voucher for a paid order`);
      else assert.ok(counts.vouchers <= 1, `${where}: at most one voucher`);
      for (const event of events) {
        const stages = await ranStages(event);
        if (stages.includes('fulfilment') || stages.includes('stock')) {
          assert.ok(OXXO_PAID_TYPES.includes(event.type), `${where}: ${event.type} must not fulfil or take stock`);
        }
      }
    }
    assert.equal(rig.shop.backend.stockOf(SKU), INITIAL_STOCK - 120);
    failed = false;
  });

  it('OXXO voucher expired unpaid, all 120 orders of its five events: failed, no stock, nothing shipped or confirmed, at most one voucher', async () => {
    failed = true;
    const before = rig.shop.backend.stockOf(SKU);
    const all = permutations([0, 1, 2, 3, 4]);
    const deliveries = await Promise.all(
      all.map((p, k) => {
        const order = orderFixture(`ex_${k}`, [{ sku: SKU, quantity: 1 }]);
        return deliverInOrder(rig.engine, order, oxxoExpiredEvents(order, k), p, k);
      }),
    );

    const failedTypes = ['checkout.session.async_payment_failed', 'payment_intent.payment_failed'];
    for (const [k, { order, batchOf, events }] of deliveries.entries()) {
      const where = `expired OXXO order ${k} (${all[k]?.join(',')})`;
      const id = order.paymentIntent;
      assert.equal((await rig.engine.store.getEntityState(id))?.state, 'failed', `${where}: entity state`);
      assert.equal(rig.shop.backend.getOrder(id)?.state, 'failed', `${where}: shop order state`);
      const counts = countsFor(id);
      assert.deepEqual(
        { ...counts, vouchers: undefined },
        { sales: 0, restores: 0, fulfilments: 0, confirmations: 0, vouchers: undefined },
        where,
      );
      // The voucher goes out only while the order waits for the cash, never once it failed.
      const actionBatch = batchOf.get('payment_intent.requires_action') ?? -1;
      const firstFailedBatch = Math.min(...failedTypes.map((t) => batchOf.get(t) ?? Infinity));
      if (actionBatch < firstFailedBatch) assert.equal(counts.vouchers, 1, `${where}: voucher while waiting`);
      else if (actionBatch > firstFailedBatch) assert.equal(counts.vouchers, 0, `${where}: no voucher for a failed order`);
      else assert.ok(counts.vouchers <= 1, `${where}: at most one voucher`);
      // What a person sees: each event either ran or says why it changed nothing.
      for (const event of events) {
        assert.ok(
          event.status === 'succeeded' ||
            (event.status === 'ignored' && ['stale_transition', 'invalid_transition'].includes(event.ignoreReason?.kind ?? '')),
          `${where}: ${event.type} is ${event.status} ${JSON.stringify(event.ignoreReason)}`,
        );
      }
      assert.ok(
        events.some((e) => e.status === 'succeeded' && failedTypes.includes(e.type)),
        `${where}: a failed event moved the order`,
      );
    }
    assert.equal(rig.shop.backend.stockOf(SKU), before, 'no expired voucher took stock');
    failed = false;
  });

  it('refunded card payment, all 24 orders of its four events: refunded, stock back where it was, each effect at most once', async () => {
    failed = true;
    const before = rig.shop.backend.stockOf(SKU);
    const all = permutations([0, 1, 2, 3]);
    const deliveries = await Promise.all(
      all.map((p, k) => {
        const order = orderFixture(`rf_${k}`, [{ sku: SKU, quantity: 2 }]);
        return deliverInOrder(rig.engine, order, refundEvents(order, k), p, k);
      }),
    );

    for (const [k, { order, batchOf }] of deliveries.entries()) {
      const where = `refund order ${k} (${all[k]?.join(',')})`;
      const id = order.paymentIntent;
      assert.equal((await rig.engine.store.getEntityState(id))?.state, 'refunded', `${where}: entity state`);
      assert.equal(rig.shop.backend.getOrder(id)?.state, 'refunded', `${where}: shop order state`);
      const counts = countsFor(id);
      assert.ok(counts.sales <= 1, `${where}: stock taken at most once`);
      assert.equal(counts.restores, counts.sales, `${where}: given back exactly when it was taken`);
      assert.ok(counts.fulfilments <= 1 && counts.confirmations <= 1, `${where}: ${JSON.stringify(counts)}`);
      // Paid strictly before the refund arrived: the sale happened (and was given back).
      const refundBatch = batchOf.get('charge.refunded') ?? -1;
      const firstPaidBatch = Math.min(
        batchOf.get('payment_intent.succeeded') ?? Infinity,
        batchOf.get('checkout.session.completed') ?? Infinity,
      );
      if (firstPaidBatch < refundBatch) assert.equal(counts.sales, 1, `${where}: paid first, so stock was taken and restored`);
      if (refundBatch < firstPaidBatch) assert.equal(counts.sales, 0, `${where}: refunded first, so the late paid events are stale`);
    }
    assert.equal(rig.shop.backend.stockOf(SKU), before, 'every refunded order gave back what it took');
    failed = false;
  });
});
