/**
 * The Stripe orders reference pipeline under disorder: the seed's webhook broke when events of
 * one payment arrived out of order, twice, or at the same time. Every order of the four events
 * of one card payment must end paid, with stock taken once, one fulfilment and one e-mail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../src/core/types.js';
import { waitForEvent } from '../helpers/example-pipelines.js';
import {
  deliverStripe,
  orderFixture,
  type OrderFixture,
  paymentIntentObject,
  permutations,
  sessionObject,
  type StripeEventSpec,
  stripeOrdersForDescribe,
} from '../helpers/stripe-order-events.js';

const T0 = 1_763_900_000;
const INITIAL_STOCK = 1000;

/** The four events of one card payment through Checkout, one second apart, in Stripe's order. */
function cardPaymentEvents(order: OrderFixture, k: number): StripeEventSpec[] {
  const t = T0 + k * 10;
  return [
    { id: `evt_${k}_created`, type: 'payment_intent.created', created: t, object: paymentIntentObject(order, 'requires_payment_method') },
    { id: `evt_${k}_processing`, type: 'payment_intent.processing', created: t + 1, object: paymentIntentObject(order, 'processing') },
    { id: `evt_${k}_succeeded`, type: 'payment_intent.succeeded', created: t + 2, object: paymentIntentObject(order, 'succeeded') },
    { id: `evt_${k}_completed`, type: 'checkout.session.completed', created: t + 3, object: sessionObject(order, 'paid') },
  ];
}

const PAID_TYPES = new Set(['payment_intent.succeeded', 'checkout.session.completed']);

describe('stripe-orders: every delivery order of one payment', () => {
  // Set to false at the very end of a passing test: a failure keeps the database for evidence.
  let failed = true;
  const rig = stripeOrdersForDescribe({ stock: { 'TSHIRT-M': INITIAL_STOCK }, keep: () => failed });

  it('ends all 24 orders paid, stock taken once per order, one fulfilment and one e-mail each', async () => {
    const orders = permutations([0, 1, 2, 3]);
    assert.equal(orders.length, 24);
    // Per order: ids of events delivered after its first "paid" event had finished.
    const lateAfterPaid = new Map<string, number[]>();

    await Promise.all(
      orders.map(async (permutation, k) => {
        const order = orderFixture(`perm_${k}`);
        const events = permutation.map((i) => cardPaymentEvents(order, k)[i] as StripeEventSpec);
        const late: number[] = [];
        let paidFinished = false;
        const run = async (batch: StripeEventSpec[]): Promise<EventRecord[]> => {
          const stored = await Promise.all(batch.map((spec) => deliverStripe(rig.engine, spec)));
          const finished = await Promise.all(stored.map((s) => waitForEvent(rig.engine.store, s.id)));
          // Events of one batch are ordered by the engine (by occurrence), so only a batch
          // delivered after a paid event had finished counts as arriving late.
          if (paidFinished) late.push(...finished.map((event) => event.id));
          if (batch.some((spec) => PAID_TYPES.has(spec.type))) paidFinished = true;
          return finished;
        };
        // Three ways of arriving: one by one; the first two at once; all four at once.
        if (k % 3 === 0) for (const spec of events) await run([spec]);
        else if (k % 3 === 1) {
          await run(events.slice(0, 2));
          for (const spec of events.slice(2)) await run([spec]);
        } else await run(events);
        // Stripe redelivers: the last event again, and for some orders the first one, late.
        const again = k % 2 === 0 ? [events[3]] : k % 4 === 1 ? [events[0]] : [];
        for (const spec of again) {
          const repeat = await deliverStripe(rig.engine, spec as StripeEventSpec);
          assert.equal(repeat.duplicate, true, `${spec?.id} delivered twice is stored once`);
        }
        lateAfterPaid.set(order.paymentIntent, late);
      }),
    );

    const { backend } = rig.shop;
    for (const [k] of orders.entries()) {
      const order = orderFixture(`perm_${k}`);
      const id = order.paymentIntent;
      const where = `order ${k} (${orders[k]?.join(',')})`;
      assert.equal((await rig.engine.store.getEntityState(id))?.state, 'paid', `${where}: entity state`);
      assert.equal(backend.getOrder(id)?.state, 'paid', `${where}: shop order state`);
      assert.equal(backend.listAdjustments({ orderId: id, reason: 'sale' }).length, 1, `${where}: stock taken once`);
      assert.equal(backend.listAdjustments({ orderId: id, reason: 'restore' }).length, 0, `${where}: nothing restored`);
      assert.equal(backend.fulfilments.filter((f) => f.orderId === id).length, 1, `${where}: one fulfilment`);
      const emails = backend.emails.filter((e) => e.orderId === id);
      assert.deepEqual(
        emails.map((e) => [e.template, e.to]),
        [['order_confirmation', order.email]],
        `${where}: one e-mail`,
      );

      const events = (await rig.engine.store.listEvents({ entityKey: id }, { limit: 50 })).items;
      assert.equal(events.length, 4, `${where}: four events stored, duplicates not`);
      const annotated = events.find((event) => event.status === 'succeeded');
      assert.deepEqual(annotated?.summary.product, { name: '1× TSHIRT-M' }, `${where}: the order lines are the product's name`);
      for (const event of events) {
        assert.ok(event.status === 'succeeded' || event.status === 'ignored', `${where}: event ${event.type} is ${event.status}`);
        if (event.status === 'ignored') {
          assert.ok(
            event.ignoreReason?.kind === 'stale_transition' || event.ignoreReason?.kind === 'invalid_transition',
            `${where}: ${event.type} ignored for ${JSON.stringify(event.ignoreReason)}`,
          );
        }
      }
      // Once paid, nothing delivered afterwards may move the order (none of the four can).
      for (const lateId of lateAfterPaid.get(id) ?? []) {
        const late = await rig.engine.store.getEvent(lateId);
        assert.equal(late?.status, 'ignored', `${where}: ${late?.type} arrived after paid and must be ignored`);
        assert.deepEqual(await rig.engine.store.getCheckpoints(lateId), [], `${where}: an ignored event runs no stage`);
      }
    }
    assert.equal(backend.stockOf('TSHIRT-M'), INITIAL_STOCK - 24, 'one shirt per order, taken once');
    assert.equal(backend.emails.length, 24);
    assert.equal(backend.fulfilments.length, 24);
    failed = false;
  });
});
