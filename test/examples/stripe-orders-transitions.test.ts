/**
 * The Stripe seed's recommended test 5, "Estados de Orden: probar todas las transiciones válidas;
 * verificar que las inválidas se rechacen", through the real webhook route, worker and shop: for
 * every ordered pair of order states, an order reaches the first by one event and is then sent
 * a newer event of the second. The seed's own valid moves are applied; a move away from a final
 * state, or back, is ignored and recorded, and the shop's order and stock agree with the engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORDER_STATES, ORDER_TRANSITIONS, type OrderState } from '../../examples/stripe-orders/order-states.js';
import { waitForEvent } from '../helpers/example-pipelines.js';
import {
  chargeObject,
  deliverStripe,
  orderFixture,
  type OrderFixture,
  paymentIntentObject,
  sessionObject,
  type StripeEventSpec,
  stripeOrdersForDescribe,
} from '../helpers/stripe-order-events.js';

const T0 = 1_764_100_000;

/** The one Stripe event that moves an order to each state. */
function eventFor(order: OrderFixture, state: OrderState, created: number): StripeEventSpec {
  const id = `evt_${order.paymentIntent}_${state}`;
  const pi = (type: string, status: string) => ({ id, type, created, object: paymentIntentObject(order, status) });
  switch (state) {
    case 'pending':
      return pi('payment_intent.created', 'requires_payment_method');
    case 'processing':
      return pi('payment_intent.processing', 'processing');
    case 'requires_action':
      return pi('payment_intent.requires_action', 'requires_action');
    case 'paid':
      return pi('payment_intent.succeeded', 'succeeded');
    case 'failed':
      return pi('payment_intent.payment_failed', 'requires_payment_method');
    case 'canceled':
      return pi('payment_intent.canceled', 'canceled');
    case 'expired':
      return { id, type: 'checkout.session.expired', created, object: sessionObject(order, 'unpaid') };
    case 'refunded':
      return { id, type: 'charge.refunded', created, object: chargeObject(order, order.amountMinor) };
  }
}

/** The seed's VALID_STATE_TRANSITIONS ("completed" is paid); its completed → canceled is left out on purpose (order-states.ts). */
const SEED_VALID: Array<[OrderState, OrderState]> = [
  ['pending', 'processing'],
  ['pending', 'paid'],
  ['pending', 'failed'],
  ['pending', 'canceled'],
  ['pending', 'expired'],
  ['processing', 'paid'],
  ['processing', 'failed'],
  ['processing', 'canceled'],
  ['paid', 'refunded'],
];

/** Whether `to` can follow `from` through the declared moves (the engine applies a newer state reachable through a missing step). */
function reachable(from: OrderState, to: OrderState): boolean {
  const seen = new Set<OrderState>([from]);
  const queue: OrderState[] = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const next of ORDER_TRANSITIONS[state]) {
      if (next === to) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return false;
}

describe('stripe-orders: every move between two order states', () => {
  let failed = false;
  const rig = stripeOrdersForDescribe({ keep: () => failed });

  it("the seed's valid moves are declared, and final states have none", () => {
    for (const [from, to] of SEED_VALID) assert.ok(ORDER_TRANSITIONS[from].includes(to), `${from} → ${to}`);
    for (const final of ['refunded', 'canceled', 'expired'] as const) assert.deepEqual(ORDER_TRANSITIONS[final], [], final);
    assert.ok(!reachable('paid', 'pending') && !reachable('paid', 'processing') && !reachable('paid', 'failed'));
  });

  it('all 56 pairs: applied when the move is declared, otherwise ignored with the reason; the shop agrees and stock moves only with a sale', async () => {
    failed = true;
    const pairs = ORDER_STATES.flatMap((from) => ORDER_STATES.filter((to) => to !== from).map((to) => [from, to] as const));
    assert.equal(pairs.length, 56);
    await Promise.all(
      pairs.map(async ([from, to], k) => {
        const order = orderFixture(`tr${k}_${from}_${to}`, [{ sku: `SKU-TR-${k}`, quantity: 1 }]);
        rig.shop.backend.setStock(`SKU-TR-${k}`, 5);
        const where = `${from} → ${to}`;
        const first = await waitForEvent(rig.engine.store, (await deliverStripe(rig.engine, eventFor(order, from, T0))).id);
        assert.equal(first.status, 'succeeded', `${where}, first event: ${JSON.stringify(first.lastError)}`);
        const second = await waitForEvent(rig.engine.store, (await deliverStripe(rig.engine, eventFor(order, to, T0 + 60))).id);
        const applied = reachable(from, to);
        assert.equal(second.status, applied ? 'succeeded' : 'ignored', `${where}: ${JSON.stringify(second.lastError)}`);
        if (!applied) {
          assert.equal(second.ignoreReason?.kind, 'invalid_transition', where);
          assert.deepEqual(await rig.engine.store.getCheckpoints(second.id), [], `${where}: no stage ran`);
        }
        const state = applied ? to : from;
        assert.equal((await rig.engine.store.getEntityState(order.paymentIntent))?.state, state, `${where}: the engine's state`);
        assert.equal(rig.shop.backend.getOrder(order.paymentIntent)?.state, state, `${where}: the shop's order`);
        // Stock: taken by a sale, given back by a refund; nothing else moves it.
        assert.equal(5 - rig.shop.backend.stockOf(`SKU-TR-${k}`), state === 'paid' ? 1 : 0, `${where}: stock`);
      }),
    );
    failed = false;
  });
});
