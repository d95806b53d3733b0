import Stripe from 'stripe';
import type { EventSummary, JsonObject, JsonValue, TransactionStatus } from '../core/types.js';
import { scanJson } from './body-decoding.js';
import type { StripeSourceConfig } from './config.js';
import {
  asText,
  compact,
  isJsonObject,
  parseUnixTimestamp,
  requireMediaType,
  requireWithinTolerance,
  singleHeader,
} from './delivery-reading.js';
import { SourceError, type IncomingDelivery, type NormalizedDelivery, type SourceAdapter } from './source.js';

/**
 * Stripe webhooks, verified by the official package (`constructEvent`: `v1` HMAC over
 * `${t}.${rawBody}`, any of several `v1` values, constant-time, too-old `t` refused). The
 * package lets a `t` in the future pass, so this adapter refuses that too, with the same
 * tolerance. During secret rotation each configured secret is tried.
 *
 * Identity: `event.id`. Entity: the payment intent (a checkout session's or charge's
 * `payment_intent`), else `<object type>:<object id>`. Occurrence: `event.created`.
 *
 * Test mode: an event Stripe does not mark `livemode: true` is no payment unless the source sets
 * `testMode` (see testEvent below). The test endpoint's secret signs those, and listing it
 * beside the live one (as during setup) is enough for them to pass the signature check.
 */

export function createStripeAdapter(config: StripeSourceConfig): SourceAdapter {
  return {
    name: config.name,
    kind: 'stripe',
    acceptsGet: false,
    async verify(delivery: IncomingDelivery, now: Date): Promise<NormalizedDelivery> {
      if (delivery.method !== 'POST') throw new SourceError('METHOD_NOT_ALLOWED', 'Stripe events are POSTed');
      requireMediaType(delivery, ['application/json']);
      const header = singleHeader(delivery, 'stripe-signature');
      if (header === undefined || header.trim() === '') {
        throw new SourceError('SIGNATURE_MISSING', `the Stripe-Signature header is missing: ${STRIPE_SCHEME}`);
      }
      // constructEvent parses the body itself: refuse nesting that would overflow a stack later.
      scanJson(delivery.rawBody);
      const event = constructWithAnySecret(config, delivery.rawBody, header, now);
      requireWithinTolerance(signedAt(header), now, config.toleranceSeconds);
      return normalizeStripeEvent(event, now, { testMode: config.testMode });
    },
  };
}

/** Stripe's scheme, for a refused event's message (never the secret nor the computed value). */
const STRIPE_SCHEME =
  'expected Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the endpoint\'s signing secret (whsec_…)';

function constructWithAnySecret(config: StripeSourceConfig, rawBody: Buffer, header: string, now: Date): JsonObject {
  let lastError: unknown;
  // stripe-node checks the MAC before the timestamp: a tolerance error means this secret
  // matched, so it wins over the "no match" errors of the other secrets.
  let toleranceError: unknown;
  for (const secret of config.secrets) {
    try {
      const event: unknown = Stripe.webhooks.constructEvent(rawBody, header, secret, config.toleranceSeconds, undefined, now.getTime());
      if (!isJsonObject(event)) throw new SourceError('MALFORMED_BODY', 'the body must be a JSON object');
      return event;
    } catch (err) {
      // The signature matched but the bytes are not JSON: no other secret will fix that.
      if (err instanceof SyntaxError) {
        throw new SourceError('MALFORMED_BODY', `the body is not valid JSON: ${err.message}`);
      }
      if (err instanceof SourceError) throw err;
      if (err instanceof Error && /tolerance/i.test(err.message)) toleranceError = err;
      else lastError = err;
    }
  }
  if (toleranceError) {
    throw new SourceError('TIMESTAMP_OUT_OF_TOLERANCE', 'the Stripe-Signature timestamp is outside the tolerance', {
      cause: toleranceError,
    });
  }
  const message = lastError instanceof Error ? lastError.message : 'no signature matched';
  if (/extract timestamp/i.test(message)) {
    throw new SourceError('SIGNATURE_INVALID', `the Stripe-Signature header is not t=…,v1=…: ${STRIPE_SCHEME}`, { cause: lastError });
  }
  throw new SourceError('SIGNATURE_INVALID', `no Stripe-Signature v1 value matches a configured secret: ${STRIPE_SCHEME}`, {
    cause: lastError,
  });
}

function signedAt(header: string): Date {
  const t = header
    .split(',')
    .map((part) => part.trim())
    .find((part) => part.startsWith('t='));
  if (!t) throw new SourceError('SIGNATURE_INVALID', 'the Stripe-Signature header has no t=…');
  return parseUnixTimestamp(t.slice(2), 'the Stripe-Signature timestamp');
}

/** Stripe event types whose meaning for the payment is clear without fetching anything. */
const STATUS_BY_TYPE: Record<string, TransactionStatus> = {
  'payment_intent.succeeded': 'accepted',
  'checkout.session.async_payment_succeeded': 'accepted',
  'charge.succeeded': 'accepted',
  'invoice.paid': 'accepted',
  'invoice.payment_succeeded': 'accepted',
  'payment_intent.processing': 'pending',
  'payment_intent.requires_action': 'pending',
  'payment_intent.created': 'pending',
  'charge.pending': 'pending',
  'payment_intent.payment_failed': 'rejected',
  'payment_intent.canceled': 'rejected',
  'checkout.session.async_payment_failed': 'rejected',
  'checkout.session.expired': 'rejected',
  'charge.failed': 'rejected',
  'invoice.payment_failed': 'rejected',
  'charge.refunded': 'reversed',
  'charge.dispute.created': 'reversed',
  'refund.created': 'reversed',
};

export function stripeTransactionStatus(type: string, object: JsonObject): TransactionStatus | null {
  if (type === 'checkout.session.completed') {
    // Delayed methods (OXXO, bank transfers) complete the session unpaid; the money comes later.
    return object.payment_status === 'unpaid' ? 'pending' : 'accepted';
  }
  return STATUS_BY_TYPE[type] ?? null;
}

export function normalizeStripeEvent(event: JsonObject, now: Date, options: { testMode: boolean }): NormalizedDelivery {
  const id = asText(event.id);
  const type = asText(event.type);
  if (!id) throw new SourceError('MISSING_FIELD', 'the event has no id');
  if (!type) throw new SourceError('MISSING_FIELD', 'the event has no type');
  const data = event.data;
  const object = isJsonObject(data) && isJsonObject(data.object) ? data.object : {};
  const created = typeof event.created === 'number' ? new Date(event.created * 1000) : now;
  // Stripe marks every event; one not marked live (false, or absent: not as Stripe sends it)
  // moved no money.
  if (!options.testMode && event.livemode !== true) return testEvent(id, type, event, object, created);
  return {
    providerEventId: id,
    entityKey: stripeEntityKey(object),
    type,
    transactionStatus: stripeTransactionStatus(type, object),
    occurredAt: created,
    payload: event,
    summary: stripeSummary(object),
  };
}

/** The type of a test event on a source that is not in test mode: no Stripe type, so no pipeline matching Stripe's types acts on it. */
export const STRIPE_TEST_EVENT_TYPE = 'test_event';

/**
 * A test event (`livemode: false`) on a source not in test mode: kept for the operator to see,
 * but it states nothing about money: no transaction status, type `test_event`, and Stripe's
 * `type` and `data` moved under `payload.testEvent`, where no pipeline reads them. Same dedupe
 * key (`event.id`), so Stripe's retries are duplicates.
 */
function testEvent(id: string, type: string, event: JsonObject, object: JsonObject, created: Date): NormalizedDelivery {
  const { type: _type, data, ...kept } = event;
  const summary = stripeSummary(object);
  summary.references = { ...summary.references, testEvent: 'true', testEventType: type };
  return {
    providerEventId: id,
    entityKey: stripeEntityKey(object),
    type: STRIPE_TEST_EVENT_TYPE,
    transactionStatus: null,
    occurredAt: created,
    payload: { ...kept, testEvent: { type, ...(data === undefined ? {} : { data }) } },
    summary,
  };
}

function idOf(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (isJsonObject(value)) return asText(value.id);
  return undefined;
}

export function stripeEntityKey(object: JsonObject): string | null {
  const kind = asText(object.object);
  const id = asText(object.id);
  if (kind === 'payment_intent' && id) return id;
  const paymentIntent = idOf(object.payment_intent);
  if (paymentIntent) return paymentIntent;
  return kind && id ? `${kind}:${id}` : null;
}

/** Currencies Stripe counts in whole units (no cents). */
const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));

function stripeSummary(object: JsonObject): EventSummary {
  const summary: EventSummary = {};
  const details = [object.customer_details, object.billing_details].find(isJsonObject);
  const customer = compact({
    name: asText(details?.name),
    email: asText(details?.email) ?? asText(object.receipt_email) ?? asText(object.customer_email),
    phone: asText(details?.phone),
  });
  if (Object.keys(customer).length > 0) summary.customer = customer;
  const currency = asText(object.currency);
  const minorUnits = [object.amount_total, object.amount_received, object.amount].find(
    (value): value is number => typeof value === 'number',
  );
  if (currency) summary.currency = currency.toUpperCase();
  if (minorUnits !== undefined) {
    summary.amount = currency && ZERO_DECIMAL.has(currency.toLowerCase()) ? minorUnits : minorUnits / 100;
  }
  const description = asText(object.description);
  if (description) summary.product = { name: description };
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  const references: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    const text = asText(value);
    if (text) references[key] = text;
  }
  Object.assign(
    references,
    compact({
      stripeObject: asText(object.id),
      paymentIntent: idOf(object.payment_intent),
      clientReferenceId: asText(object.client_reference_id),
      invoice: idOf(object.invoice),
    }),
  );
  if (Object.keys(references).length > 0) summary.references = references;
  return summary;
}
