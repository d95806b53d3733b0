import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  definePipeline,
  PermanentError,
  type ColumnConfig,
  type EventRecord,
  type JsonValue,
  type PipelineDefinition,
  type StageContext,
  type Store,
} from '../../src/index.js';
import { ORDER_EVENT_TYPES, orderStateMachine, orderTargetState, type OrderState } from './order-states.js';
import { ShopClient } from './shop-client.js';
import { stripeApiClient, type StripeApiConfig } from './stripe-api.js';
import {
  amountOf,
  customerEmailOf,
  orderIdOf,
  orderLinesOf,
  oxxoVoucherOf,
  readStripeOrderEvent,
  StripePayloadError,
  type StripeOrderEvent,
} from './stripe-objects.js';

export interface StripeOrdersConfig {
  /** Base URL of the shop backend, e.g. the demo server where `shopServicePlugin` is mounted. */
  shopBaseUrl: string;
  /** Where an oversold item is reported (webpig's store: it shows on the dashboard's alerts). */
  alerts: Pick<Store, 'recordAlert'>;
  /** Name of the Stripe source whose events this pipeline handles. (Default: 'stripe') */
  source?: string;
  /** Pipeline name; also the prefix of every per-order idempotency key. (Default: 'stripe-orders') */
  name?: string;
  /**
   * Stripe's API, to re-read the PaymentIntent before shipping: the order is fulfilled only if
   * Stripe says now that it succeeded and was not refunded, whatever the (possibly old) event
   * said. (Default: none — the event is trusted, as the entity state machine already orders it)
   */
  stripeApi?: StripeApiConfig;
}

export const STRIPE_ORDERS_COLUMNS: ColumnConfig[] = [
  { key: 'order', label: { es: 'Pedido', en: 'Order' } },
  { key: 'stock', label: { es: 'Inventario', en: 'Stock' } },
  { key: 'fulfilment', label: { es: 'Envío', en: 'Shipping' } },
  { key: 'email', label: { es: 'Correo', en: 'E-mail' } },
];

const ORDER_TYPES: ReadonlySet<string> = new Set(ORDER_EVENT_TYPES);
const STOCK_STATES: ReadonlySet<OrderState | undefined> = new Set<OrderState | undefined>(['paid', 'refunded', 'canceled']);

const orderOutputSchema = z.object({
  orderId: z.string(),
  targetState: z.string().nullable(),
  email: z.string().nullable(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number() })).nullable(),
});
type OrderOutput = z.infer<typeof orderOutputSchema>;

function readEvent(ctx: StageContext): StripeOrderEvent {
  try {
    return readStripeOrderEvent(ctx.payload);
  } catch (err) {
    if (err instanceof StripePayloadError) throw new PermanentError(err.message, { cause: err, code: err.code });
    throw err;
  }
}

function targetOf(ctx: StageContext): OrderState | undefined {
  return orderTargetState(readEvent(ctx));
}

function orderOutput(ctx: StageContext): OrderOutput {
  const parsed = orderOutputSchema.safeParse(ctx.outputs['order']);
  if (!parsed.success) throw new PermanentError('the order stage left no readable output', { code: 'ORDER_OUTPUT_MISSING' });
  return parsed.data;
}

/** The Stripe event type, from the stored event or, failing that, from the payload itself. */
function stripeTypeOf(event: EventRecord): string | null {
  if (ORDER_TYPES.has(event.type)) return event.type;
  const payload = event.payload;
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && typeof payload['type'] === 'string') {
    return payload['type'];
  }
  return null;
}

/**
 * The shop orders pipeline: one order per payment intent, moved by the declared state machine
 * (see order-states.ts), with every effect on the shop done once per ORDER.
 *
 * Why the idempotency keys are `<pipeline>:<order>:<effect>` and not `ctx.idempotencyKey`: the
 * engine's key is stable per event and stage, which makes one event's retries safe. But two
 * different events can both mean "paid" (`payment_intent.succeeded` and the session's
 * `completed`), so the promise "stock moves once, one e-mail" needs a key per order and
 * effect. The shop replays the first reply for a repeated key, so the second event is a no-op.
 */
export function stripeOrdersPipeline(config: StripeOrdersConfig): PipelineDefinition {
  const name = config.name ?? 'stripe-orders';
  const source = config.source ?? 'stripe';
  const shop = new ShopClient(config.shopBaseUrl);
  const keyFor = (orderId: string, effect: string) => `${name}:${orderId}:${effect}`;
  const stripeApi = config.stripeApi ? stripeApiClient(config.stripeApi) : null;

  return definePipeline({
    name,
    label: { es: 'Pedidos de la tienda (Stripe)', en: 'Shop orders (Stripe)' },
    match: (event) => event.source === source && stripeTypeOf(event) !== null,
    entity: orderStateMachine,
    stages: [
      {
        name: 'order',
        label: { es: 'Pedido', en: 'Order' },
        column: 'order',
        async run(ctx): Promise<OrderOutput> {
          const event = readEvent(ctx);
          const orderId = orderIdOf(event);
          const target = orderTargetState(event);
          const amount = amountOf(event);
          const lines = orderLinesOf(event);
          const email = customerEmailOf(event);
          const reply = await shop.upsertOrder(
            orderId,
            {
              eventId: event.id,
              state: target ?? null,
              stateOccurredAt: target ? event.created : null,
              email,
              lines,
              amountMinor: amount?.amountMinor ?? null,
              currency: amount?.currency ?? null,
              checkoutSessionId: event.object.kind === 'checkout_session' ? event.object.value.id : null,
            },
            ctx.signal,
          );
          const order = reply.body.order;
          // A refund or a charge event carries no cart or e-mail: the shop's order does, so the
          // dashboard still shows whose order and what was in it.
          const shownEmail = email ?? order.email;
          const shownLines = lines ?? order.lines;
          ctx.annotate({
            ...(shownEmail ? { customer: { email: shownEmail } } : {}),
            ...(shownLines && shownLines.length > 0
              ? { product: { name: shownLines.map((l) => `${l.quantity}× ${l.sku}`).join(', ') } }
              : {}),
            ...(amount ? { amount: amount.amountMinor / 100, currency: amount.currency } : {}),
            references: { order: orderId, stripeEvent: event.id },
          });
          return { orderId, targetState: target ?? null, email: order.email, lines: order.lines };
        },
      },
      {
        name: 'stock',
        label: { es: 'Inventario', en: 'Stock' },
        column: 'stock',
        dependsOn: ['order'],
        when: (ctx) =>
          STOCK_STATES.has(targetOf(ctx)) ||
          (targetOf(ctx)
            ? {
                es: `el inventario no cambia cuando el pedido pasa a ${targetOf(ctx)}`,
                en: `stock does not change when the order becomes ${targetOf(ctx)}`,
              }
            : {
                es: 'este evento no cambia el pedido, así que el inventario no cambia',
                en: 'this event does not change the order, so stock does not change',
              }),
        async run(ctx): Promise<JsonValue> {
          const { orderId, lines, targetState } = orderOutput(ctx);
          if (targetState === 'paid') {
            if (!lines || lines.length === 0) {
              throw new PermanentError(`paid order ${orderId} has no order_items: cannot take its stock`, { code: 'ORDER_LINES_MISSING' });
            }
            const reply = await shop.adjustStock(
              { orderId, reason: 'sale', lines: lines.map((l) => ({ sku: l.sku, delta: -l.quantity })) },
              keyFor(orderId, 'stock-sale'),
              ctx.signal,
            );
            const oversold = reply.body.lines.filter((l) => l.shortfall > 0);
            // A replayed reply means another event (or an earlier attempt) already took the
            // stock — and raised the alert, unless that attempt died before it could.
            if (oversold.length > 0 && (!reply.replayed || ctx.attempt > 1)) {
              // One issue per SKU: the next order short of the same SKU counts on it.
              for (const line of oversold) {
                await config.alerts.recordAlert({
                  at: new Date(),
                  kind: 'oversold',
                  subject: `sku:${line.sku}`,
                  eventId: ctx.event.id,
                  stage: 'stock',
                  message: `${line.sku} oversold: order ${orderId} short by ${line.shortfall}`,
                  details: { orderId, sku: line.sku, shortfall: line.shortfall, lines: [{ sku: line.sku, shortfall: line.shortfall }] },
                });
              }
              ctx.log.warn('oversold', { orderId, skus: oversold.map((l) => l.sku) });
            }
            return { adjustment: reply.body.id, replayed: reply.replayed, oversold: oversold.map((l) => l.sku) };
          }
          // Refunded or canceled: give back exactly what the sale took, if a sale took anything.
          const sales = await shop.listAdjustments(orderId, 'sale', ctx.signal);
          const taken = sales.flatMap((s) => s.lines).filter((l) => l.applied < 0);
          if (taken.length === 0) return { restored: false, reason: 'no stock was taken for this order' };
          const reply = await shop.adjustStock(
            { orderId, reason: 'restore', lines: taken.map((l) => ({ sku: l.sku, delta: -l.applied })) },
            keyFor(orderId, 'stock-restore'),
            ctx.signal,
          );
          return { restored: true, adjustment: reply.body.id, replayed: reply.replayed };
        },
      },
      {
        name: 'fulfilment',
        label: { es: 'Despacho', en: 'Fulfilment' },
        column: 'fulfilment',
        dependsOn: ['order'],
        when: async (ctx) => {
          if (targetOf(ctx) !== 'paid') return { es: 'solo se despacha un pedido pagado', en: 'only a paid order is fulfilled' };
          const { orderId } = orderOutput(ctx);
          if (!stripeApi || !orderId.startsWith('pi_')) return true;
          const now = await stripeApi.paymentIntent(orderId, ctx.http);
          if (now.status !== 'succeeded') return `Stripe says payment ${orderId} is ${now.status} now: not shipped`;
          if (now.refunded) return `Stripe says payment ${orderId} was refunded: not shipped`;
          return true;
        },
        async run(ctx): Promise<JsonValue> {
          const { orderId, lines, email } = orderOutput(ctx);
          const reply = await shop.fulfil({ orderId, lines: lines ?? [], email }, keyFor(orderId, 'fulfilment'), ctx.signal);
          return { fulfilment: reply.body.id, replayed: reply.replayed };
        },
      },
      {
        name: 'confirmation_email',
        label: { es: 'Correo de confirmación', en: 'Confirmation e-mail' },
        column: 'email',
        dependsOn: ['fulfilment'],
        when: (ctx) => {
          if (targetOf(ctx) !== 'paid') return { es: 'solo se confirma un pedido pagado', en: 'only a paid order is confirmed' };
          return orderOutput(ctx).email !== null || 'no customer e-mail is known for this order';
        },
        async run(ctx): Promise<JsonValue> {
          const { orderId, email } = orderOutput(ctx);
          const amount = amountOf(readEvent(ctx));
          const reply = await shop.sendEmail(
            {
              orderId,
              to: email ?? '',
              template: 'order_confirmation',
              data: { orderId, amountMinor: amount?.amountMinor ?? null, currency: amount?.currency ?? null },
            },
            keyFor(orderId, 'email:order_confirmation'),
            ctx.signal,
          );
          return { email: reply.body.id, replayed: reply.replayed };
        },
      },
      {
        name: 'oxxo_voucher_email',
        label: { es: 'Correo con el voucher OXXO', en: 'OXXO voucher e-mail' },
        column: 'email',
        dependsOn: ['order'],
        when: (ctx) => {
          const event = readEvent(ctx);
          if (orderTargetState(event) !== 'requires_action' || !oxxoVoucherOf(event)) return 'not an OXXO voucher waiting for payment';
          return orderOutput(ctx).email !== null || 'no customer e-mail is known for this order';
        },
        async run(ctx): Promise<JsonValue> {
          const { orderId, email } = orderOutput(ctx);
          const voucher = oxxoVoucherOf(readEvent(ctx));
          if (!voucher) throw new PermanentError('the OXXO voucher disappeared from the event', { code: 'OXXO_VOUCHER_MISSING' });
          // Once per voucher: a customer whose voucher expired and who gets a new one is told again.
          const reply = await shop.sendEmail(
            {
              orderId,
              to: email ?? '',
              template: 'oxxo_voucher',
              data: { voucherUrl: voucher.hostedVoucherUrl, number: voucher.number, expiresAfter: voucher.expiresAfter },
            },
            keyFor(
              orderId,
              `email:oxxo_voucher:${voucher.number ?? createHash('sha256').update(voucher.hostedVoucherUrl).digest('hex').slice(0, 16)}`,
            ),
            ctx.signal,
          );
          return { email: reply.body.id, replayed: reply.replayed, voucherUrl: voucher.hostedVoucherUrl };
        },
      },
    ],
  });
}
