import type { EntityStateMachine, EventRecord } from '../../src/index.js';
import { readStripeOrderEvent, StripePayloadError, type StripeOrderEvent } from './stripe-objects.js';

/**
 * The order's life, as Stripe reports it. The engine keeps the current state per entity (the
 * payment intent) and ignores, and records, any event whose move is not listed here — that is
 * what stops a late `payment_intent.processing` from dragging a paid order back.
 */
export const ORDER_STATES = ['pending', 'processing', 'requires_action', 'paid', 'failed', 'canceled', 'expired', 'refunded'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/**
 * Allowed moves. Why each one exists:
 * - `failed` is Stripe's `requires_payment_method` after a failed attempt: the customer may try
 *   again (→ processing / requires_action / paid), the merchant may cancel, the session expire.
 * - `requires_action` covers 3-D Secure and the unpaid OXXO voucher; it ends paid, failed (an
 *   expired voucher is reported as a failed payment), canceled or expired.
 * - `processing` can still fail (a bank debit bounced) and, rarely, be canceled.
 * - `paid` only moves to `refunded` (a full refund; partial refunds do not change the state).
 *   A succeeded PaymentIntent cannot be canceled in Stripe, so paid → canceled is not listed.
 * - `refunded`, `canceled` and `expired` are final: Stripe never reopens them.
 * A state never "moves" to itself: a second report of the same state (the session's
 * `completed` after the intent's `succeeded`) is a no-op the engine records, and the stages are
 * keyed per order anyway, so running them again could not repeat an effect.
 */
export const ORDER_TRANSITIONS: Record<OrderState, OrderState[]> = {
  pending: ['processing', 'requires_action', 'paid', 'failed', 'canceled', 'expired'],
  processing: ['paid', 'failed', 'requires_action', 'canceled'],
  requires_action: ['processing', 'paid', 'failed', 'canceled', 'expired'],
  failed: ['processing', 'requires_action', 'paid', 'canceled', 'expired'],
  paid: ['refunded'],
  refunded: [],
  canceled: [],
  expired: [],
};

/** Every Stripe event type the orders pipeline handles. */
export const ORDER_EVENT_TYPES = [
  'payment_intent.created',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
] as const;

const STATE_BY_EVENT_TYPE: Record<string, OrderState> = {
  'payment_intent.created': 'pending',
  'payment_intent.processing': 'processing',
  'payment_intent.requires_action': 'requires_action',
  'payment_intent.succeeded': 'paid',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'canceled',
  'checkout.session.async_payment_succeeded': 'paid',
  'checkout.session.async_payment_failed': 'failed',
  'checkout.session.expired': 'expired',
};

/**
 * The state a Stripe event moves its order to, or undefined when it does not move it:
 * - `checkout.session.completed` means paid only when `payment_status` is `paid`; for a delayed
 *   method (OXXO) the session completes unpaid and the `async_payment_*` events decide later.
 * - `charge.refunded` fires for partial refunds too; only a full refund (`refunded: true`)
 *   makes the order `refunded` (and gives its stock back).
 */
export function orderTargetState(event: StripeOrderEvent): OrderState | undefined {
  if (event.type === 'checkout.session.completed') {
    const session = event.object.kind === 'checkout_session' ? event.object.value : null;
    return session?.payment_status === 'paid' || session?.payment_status === 'no_payment_required' ? 'paid' : undefined;
  }
  if (event.type === 'charge.refunded') {
    return event.object.kind === 'charge' && event.object.value.refunded === true ? 'refunded' : undefined;
  }
  return STATE_BY_EVENT_TYPE[event.type];
}

/** The target state of a stored event; undefined for a payload that cannot be read (a stage reports it). */
export function orderTargetStateOfRecord(record: EventRecord): OrderState | undefined {
  try {
    return orderTargetState(readStripeOrderEvent(record.payload));
  } catch (err) {
    if (err instanceof StripePayloadError) return undefined;
    throw err;
  }
}

export const orderStateMachine: EntityStateMachine = {
  states: [...ORDER_STATES],
  transitions: ORDER_TRANSITIONS,
  targetState: orderTargetStateOfRecord,
};
