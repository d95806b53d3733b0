/**
 * Stripe-shaped events about one shop order, for the stripe-orders tests: real field names
 * (`payment_intent`, `payment_status`, `next_action.oxxo_display_details`, `refunded`), signed
 * with the stripe package's own test helper and POSTed to the real webhook route.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ShopBackend } from '../../examples/stripe-orders/shop-backend.js';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';
import { shopServicePlugin } from '../../examples/stripe-orders/shop-service.js';
import type { SourceConfig } from '../../src/sources/config.js';
import { deliver, type Delivered, type EngineHarness } from './example-pipelines.js';
import { signStripe, stripeEvent, TEST_SECRETS } from './signing.js';

export const STRIPE_SOURCES: SourceConfig[] = [{ name: 'stripe', kind: 'stripe', secrets: [TEST_SECRETS.stripe] }];

export interface OrderFixture {
  paymentIntent: string;
  session: string;
  email: string;
  lines: { sku: string; quantity: number }[];
  amountMinor: number;
}

export function orderFixture(name: string, lines = [{ sku: 'TSHIRT-M', quantity: 1 }]): OrderFixture {
  return {
    paymentIntent: `pi_${name}`,
    session: `cs_${name}`,
    email: `${name}@example.com`,
    lines,
    amountMinor: 25_000,
  };
}

function metadata(order: OrderFixture): Record<string, string> {
  return { order_items: JSON.stringify(order.lines), customer_email: order.email };
}

export function paymentIntentObject(order: OrderFixture, status: string, nextAction: unknown = null): Record<string, unknown> {
  return {
    id: order.paymentIntent,
    object: 'payment_intent',
    amount: order.amountMinor,
    currency: 'mxn',
    status,
    receipt_email: order.email,
    metadata: metadata(order),
    next_action: nextAction,
  };
}

export function oxxoNextAction(voucher: { number: string; url: string }): Record<string, unknown> {
  return {
    type: 'oxxo_display_details',
    oxxo_display_details: { number: voucher.number, hosted_voucher_url: voucher.url, expires_after: 1_764_000_000 },
  };
}

export function sessionObject(order: OrderFixture, paymentStatus: 'paid' | 'unpaid'): Record<string, unknown> {
  return {
    id: order.session,
    object: 'checkout.session',
    mode: 'payment',
    payment_intent: order.paymentIntent,
    payment_status: paymentStatus,
    amount_total: order.amountMinor,
    currency: 'mxn',
    customer_details: { email: order.email },
    metadata: metadata(order),
  };
}

export function chargeObject(order: OrderFixture, refundedMinor: number): Record<string, unknown> {
  return {
    id: `ch_${order.paymentIntent.slice(3)}`,
    object: 'charge',
    payment_intent: order.paymentIntent,
    amount: order.amountMinor,
    amount_refunded: refundedMinor,
    refunded: refundedMinor >= order.amountMinor,
    currency: 'mxn',
  };
}

export interface StripeEventSpec {
  id: string;
  type: string;
  /** Stripe's `created`, unix seconds: the engine's occurrence order. */
  created: number;
  object: Record<string, unknown>;
}

/** Signs the event as Stripe would and POSTs it to the webhook route. */
export function deliverStripe(harness: EngineHarness, spec: StripeEventSpec): Promise<Delivered> {
  const payload = stripeEvent({ id: spec.id, type: spec.type, created: spec.created, object: spec.object });
  return deliver(harness, 'stripe', signStripe({ payload, secret: TEST_SECRETS.stripe }));
}

export interface ShopApp {
  backend: ShopBackend;
  app: FastifyInstance;
  baseUrl: string;
  close(): Promise<void>;
}

/** The example shop, served over real HTTP on 127.0.0.1, its records in a sandbox database (in memory unless `dbPath`). */
export async function startShop(options: { dbPath?: string } = {}): Promise<ShopApp> {
  const store = SandboxStore.open(options.dbPath ?? ':memory:');
  const backend = new ShopBackend(store);
  const app = Fastify({ logger: false });
  await app.register(shopServicePlugin, { backend });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('shop is not listening on TCP');
  return {
    backend,
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    async close() {
      await app.close();
      store.close();
    },
  };
}
