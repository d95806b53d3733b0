import type { ShopBackend } from './shop-backend.js';

/**
 * Stripe-shaped sample events for `webpig demo`'s traffic: the events of one order, in the
 * order Stripe generates them. The demo may shuffle, repeat or send them at once — that is the
 * point: the pipeline must end in the same place. Sign each with `signStripe` and POST it to
 * `/webhooks/stripe`.
 */
export type SampleOrderKind = 'card' | 'oxxo' | 'refunded' | 'oversold';

export interface SampleStripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  type: string;
  /** Unix seconds. */
  created: number;
  /** A live account's events: a source not in test mode takes `livemode: false` for no payment. */
  livemode: true;
  pending_webhooks: number;
  data: { object: Record<string, unknown> };
}

/** Stock the demo shop starts with; `TAZA-EDICION` is scarce so an "oversold" order shows an alert. */
export const DEMO_STOCK: readonly { sku: string; quantity: number }[] = [
  { sku: 'CAMISETA-M', quantity: 50 },
  { sku: 'SUDADERA-L', quantity: 20 },
  { sku: 'TAZA-EDICION', quantity: 1 },
];

/** Gives the demo's SKUs their starting stock; a SKU the shop already knows keeps its level (a restarted demo). */
export function seedDemoStock(backend: ShopBackend): void {
  for (const { sku, quantity } of DEMO_STOCK) if (!backend.knowsSku(sku)) backend.setStock(sku, quantity);
}

const LINES: Record<SampleOrderKind, { sku: string; quantity: number }[]> = {
  card: [{ sku: 'CAMISETA-M', quantity: 1 }],
  oxxo: [{ sku: 'SUDADERA-L', quantity: 1 }],
  refunded: [{ sku: 'CAMISETA-M', quantity: 2 }],
  oversold: [{ sku: 'TAZA-EDICION', quantity: 3 }],
};

/** The events of one demo order named `name` (letters, digits, _), starting at `start`. */
export function sampleOrderEvents(options: { name: string; kind: SampleOrderKind; start: Date }): SampleStripeEvent[] {
  const { name, kind } = options;
  const t0 = Math.floor(options.start.getTime() / 1000);
  const paymentIntent = `pi_demo_${name}`;
  const lines = LINES[kind];
  const amount = 45_000 * lines.reduce((sum, line) => sum + line.quantity, 0);
  const email = `${name}@cliente.example`;
  const metadata = { order_items: JSON.stringify(lines), customer_email: email };
  const intent = (status: string, nextAction: unknown = null) => ({
    id: paymentIntent,
    object: 'payment_intent',
    amount,
    currency: 'mxn',
    status,
    receipt_email: email,
    description: lines.map((l) => `${l.quantity}× ${l.sku}`).join(', '),
    metadata,
    next_action: nextAction,
  });
  const session = (paymentStatus: 'paid' | 'unpaid') => ({
    id: `cs_demo_${name}`,
    object: 'checkout.session',
    mode: 'payment',
    payment_intent: paymentIntent,
    payment_status: paymentStatus,
    amount_total: amount,
    currency: 'mxn',
    customer_details: { email },
    metadata,
  });
  const event = (type: string, offset: number, object: Record<string, unknown>): SampleStripeEvent => ({
    id: `evt_demo_${name}_${type.replace(/\./g, '_')}`,
    object: 'event',
    api_version: '2024-06-20',
    type,
    created: t0 + offset,
    livemode: true,
    pending_webhooks: 1,
    data: { object },
  });

  if (kind === 'oxxo') {
    const voucher = {
      type: 'oxxo_display_details',
      oxxo_display_details: {
        number: `9${String(t0).padStart(13, '0')}`,
        hosted_voucher_url: `https://payments.stripe.com/oxxo/voucher/demo_${name}`,
        expires_after: t0 + 3 * 86_400,
      },
    };
    return [
      event('payment_intent.created', 0, intent('requires_payment_method')),
      event('payment_intent.requires_action', 1, intent('requires_action', voucher)),
      event('checkout.session.completed', 2, session('unpaid')),
      event('checkout.session.async_payment_succeeded', 3_600, session('paid')),
      event('payment_intent.succeeded', 3_601, intent('succeeded')),
    ];
  }
  const paid = [
    event('payment_intent.created', 0, intent('requires_payment_method')),
    event('payment_intent.processing', 1, intent('processing')),
    event('payment_intent.succeeded', 2, intent('succeeded')),
    event('checkout.session.completed', 3, session('paid')),
  ];
  if (kind !== 'refunded') return paid;
  const charge = {
    id: `ch_demo_${name}`,
    object: 'charge',
    payment_intent: paymentIntent,
    amount,
    amount_refunded: amount,
    refunded: true,
    currency: 'mxn',
  };
  return [...paid, event('charge.refunded', 600, charge)];
}
