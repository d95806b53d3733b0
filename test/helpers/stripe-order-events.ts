/**
 * Stripe-shaped events about one shop order, for the stripe-orders tests: real field names
 * (`payment_intent`, `payment_status`, `next_action.oxxo_display_details`, `refunded`), signed
 * with the stripe package's own test helper and POSTed to the real webhook route.
 */
import { after, before } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ShopBackend } from '../../examples/stripe-orders/shop-backend.js';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';
import { shopServicePlugin } from '../../examples/stripe-orders/shop-service.js';
import { stripeOrdersPipeline } from '../../examples/stripe-orders/pipeline.js';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import type { SourceConfig } from '../../src/sources/config.js';
import { deliver, startEngine, type Delivered, type EngineHarness } from './example-pipelines.js';
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

/** The example shop and the engine running the Stripe orders pipeline against it. */
export interface StripeOrdersRig {
  /** There once the describe's `before` has run. */
  readonly shop: ShopApp;
  readonly engine: EngineHarness;
}

/**
 * Registers, in the calling `describe`, a `before` that starts the shop (each SKU of `stock` set
 * to its count) and the engine running stripeOrdersPipeline against it (alerts in the engine's
 * store; changed by `adapt` if given), and an `after` that closes both, keeping the database when `keep()` says so (a failed
 * test's evidence). Read `shop` and `engine` in hooks and tests, not while declaring the describe.
 */
export function stripeOrdersForDescribe(options: {
  stock?: Record<string, number>;
  keep: () => boolean;
  /** The pipeline as the engine runs it, from the example's. (Default: the example's as it is) */
  adapt?: (pipeline: PipelineDefinition) => PipelineDefinition;
}): StripeOrdersRig {
  let shop: ShopApp | undefined;
  let engine: EngineHarness | undefined;
  before(async () => {
    const started = await startShop();
    shop = started;
    for (const [sku, count] of Object.entries(options.stock ?? {})) started.backend.setStock(sku, count);
    engine = await startEngine({
      sources: STRIPE_SOURCES,
      pipelines: (store) => {
        const pipeline = stripeOrdersPipeline({ shopBaseUrl: started.baseUrl, alerts: store });
        return [options.adapt ? options.adapt(pipeline) : pipeline];
      },
    });
  });
  after(async () => {
    await engine?.close({ keep: options.keep() });
    await shop?.close();
  });
  return {
    get shop() {
      if (!shop) throw new Error("stripeOrdersForDescribe: the shop is read before the describe's before hook started it");
      return shop;
    },
    get engine() {
      if (!engine) throw new Error("stripeOrdersForDescribe: the engine is read before the describe's before hook started it");
      return engine;
    },
  };
}

/** Every order of `items` (n! of them). */
export function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
