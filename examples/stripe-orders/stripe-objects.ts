import { z } from 'zod';
import type { JsonValue } from '../../src/index.js';

/**
 * The few fields of Stripe's event objects the orders example reads, validated with zod so a
 * payload of an unexpected shape becomes a clear error instead of an `undefined` deep inside a
 * stage. Unknown fields pass through untouched (Stripe adds fields in every API version).
 */

/** One order line, carried as JSON in the metadata key `order_items` (Stripe metadata is text). */
export interface OrderLine {
  sku: string;
  quantity: number;
}

const orderLinesSchema = z.array(z.object({ sku: z.string().min(1).max(100), quantity: z.number().int().positive().max(10_000) }));

const metadataSchema = z.record(z.string(), z.string()).optional().nullable();

const paymentIntentSchema = z.looseObject({
  object: z.literal('payment_intent'),
  id: z.string().startsWith('pi_'),
  amount: z.number().int().optional(),
  currency: z.string().optional(),
  status: z.string().optional(),
  receipt_email: z.string().nullable().optional(),
  metadata: metadataSchema,
  next_action: z
    .looseObject({
      type: z.string(),
      oxxo_display_details: z
        .looseObject({
          number: z.string().nullable().optional(),
          hosted_voucher_url: z.string().nullable().optional(),
          expires_after: z.number().nullable().optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
});

const checkoutSessionSchema = z.looseObject({
  object: z.literal('checkout.session'),
  id: z.string().startsWith('cs_'),
  payment_intent: z
    .union([z.string(), z.looseObject({ id: z.string() })])
    .nullable()
    .optional(),
  payment_status: z.string().optional(),
  amount_total: z.number().int().nullable().optional(),
  currency: z.string().nullable().optional(),
  customer_details: z.looseObject({ email: z.string().nullable().optional() }).nullable().optional(),
  customer_email: z.string().nullable().optional(),
  metadata: metadataSchema,
});

const chargeSchema = z.looseObject({
  object: z.literal('charge'),
  id: z.string().startsWith('ch_'),
  payment_intent: z
    .union([z.string(), z.looseObject({ id: z.string() })])
    .nullable()
    .optional(),
  amount: z.number().int().optional(),
  amount_refunded: z.number().int().optional(),
  refunded: z.boolean().optional(),
  currency: z.string().optional(),
  metadata: metadataSchema,
});

const stripeEventSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  created: z.number(),
  data: z.looseObject({ object: z.looseObject({ object: z.string() }) }),
});

export type PaymentIntentObject = z.infer<typeof paymentIntentSchema>;
export type CheckoutSessionObject = z.infer<typeof checkoutSessionSchema>;
export type ChargeObject = z.infer<typeof chargeSchema>;

export type OrderEventObject =
  | { kind: 'payment_intent'; value: PaymentIntentObject }
  | { kind: 'checkout_session'; value: CheckoutSessionObject }
  | { kind: 'charge'; value: ChargeObject };

export interface StripeOrderEvent {
  id: string;
  type: string;
  /** Stripe's `created`, in seconds. */
  created: number;
  object: OrderEventObject;
}

/** Thrown for a payload that is not the Stripe object its event type promises. */
export class StripePayloadError extends Error {
  readonly code = 'STRIPE_PAYLOAD_INVALID';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Reads a stored Stripe event payload; throws StripePayloadError naming the bad field. */
export function readStripeOrderEvent(payload: JsonValue): StripeOrderEvent {
  const event = stripeEventSchema.safeParse(payload);
  if (!event.success) throw new StripePayloadError(`not a Stripe event: ${describeIssues(event.error)}`);
  const raw = event.data.data.object;
  const parse = <T>(schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new StripePayloadError(`${event.data.type}: data.object is not valid: ${describeIssues(parsed.error)}`);
    }
    return parsed.data;
  };
  let object: OrderEventObject;
  if (raw.object === 'payment_intent') object = { kind: 'payment_intent', value: parse(paymentIntentSchema) };
  else if (raw.object === 'checkout.session') object = { kind: 'checkout_session', value: parse(checkoutSessionSchema) };
  else if (raw.object === 'charge') object = { kind: 'charge', value: parse(chargeSchema) };
  else throw new StripePayloadError(`${event.data.type}: unexpected data.object.object "${raw.object}"`);
  return { id: event.data.id, type: event.data.type, created: event.data.created, object };
}

function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

/**
 * The order an event is about: its payment intent. A checkout session or a charge resolves to
 * the same order through its `payment_intent`; a session that never got one (expired before
 * the customer confirmed) is its own order, keyed by the session id.
 */
export function orderIdOf(event: StripeOrderEvent): string {
  const { object } = event;
  if (object.kind === 'payment_intent') return object.value.id;
  return idOf(object.value.payment_intent) ?? object.value.id;
}

/** Order lines from the object's metadata `order_items`; null when absent, error when malformed. */
export function orderLinesOf(event: StripeOrderEvent): OrderLine[] | null {
  const text = event.object.value.metadata?.['order_items'];
  if (text === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StripePayloadError('metadata.order_items is not JSON');
  }
  const lines = orderLinesSchema.safeParse(parsed);
  if (!lines.success) throw new StripePayloadError(`metadata.order_items: ${describeIssues(lines.error)}`);
  return lines.data;
}

export function customerEmailOf(event: StripeOrderEvent): string | null {
  const { object } = event;
  const fromMetadata = object.value.metadata?.['customer_email'] ?? null;
  if (object.kind === 'payment_intent') return object.value.receipt_email ?? fromMetadata;
  if (object.kind === 'checkout_session') {
    return object.value.customer_details?.email ?? object.value.customer_email ?? fromMetadata;
  }
  return fromMetadata;
}

export interface OxxoVoucher {
  number: string | null;
  hostedVoucherUrl: string;
  /** Unix seconds after which the voucher can no longer be paid. */
  expiresAfter: number | null;
}

/** The OXXO voucher of a payment intent that waits for cash payment, if it is one. */
export function oxxoVoucherOf(event: StripeOrderEvent): OxxoVoucher | null {
  if (event.object.kind !== 'payment_intent') return null;
  const next = event.object.value.next_action;
  const details = next?.type === 'oxxo_display_details' ? next.oxxo_display_details : undefined;
  if (!details?.hosted_voucher_url) return null;
  return {
    number: details.number ?? null,
    hostedVoucherUrl: details.hosted_voucher_url,
    expiresAfter: details.expires_after ?? null,
  };
}

/** Amount in minor units and currency, where the object carries them. */
export function amountOf(event: StripeOrderEvent): { amountMinor: number; currency: string } | null {
  const { object } = event;
  const amount = object.kind === 'checkout_session' ? object.value.amount_total : object.value.amount;
  const currency = object.value.currency;
  if (typeof amount !== 'number' || !currency) return null;
  return { amountMinor: amount, currency: currency.toUpperCase() };
}
