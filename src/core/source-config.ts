import { z } from 'zod';
import { strictFields } from './strict-fields.js';

/**
 * The shape of the configuration of the places webhooks come from. One entry per
 * `POST /webhooks/<name>`. It lives in core because the sources' adapters read its types; it is
 * parsed once, at start, with the whole config (src/config/), whose messages name the field.
 *
 * Secrets are lists: the first is the current one, the others are still accepted while a
 * secret is being rotated (a provider signs with the new one before you retire the old one).
 */

const sourceName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a source name is 1–64 lower-case letters, digits, _ or -');

const secretList = z.array(z.string().min(1, 'a secret may not be empty')).min(1, 'at least one secret is needed');

/** Seconds a signed timestamp may differ from the server's clock, in either direction. */
const toleranceSeconds = z.number().int().positive();

/** ePayco's own server, the default for the reference check. */
export const EPAYCO_VALIDATION_URL = 'https://secure.epayco.co';

/**
 * What ePayco's `validation` takes, said with what was given: zod's own words for a value that is
 * neither of a union's shapes are "Invalid input". A URL written as the whole value (as
 * WEBPIG_EPAYCO_VALIDATION takes it) is shown where it goes.
 */
function epaycoValidationMismatch(given: unknown): string {
  const shown = given === undefined ? 'undefined' : JSON.stringify(given);
  const expected = `expected false (no check with ePayco) or { baseUrl: "https://…", timeoutMs: 5000 } (both optional; Default: ${EPAYCO_VALIDATION_URL}), got ${shown}`;
  if (typeof given !== 'string') return expected;
  if (/^https?:\/\/\S+$/i.test(given)) return `${expected}: a URL goes in baseUrl, validation: { baseUrl: ${shown} }`;
  if (given.includes('://'))
    return `${expected}, which is not an http:// or https:// URL (e.g. validation: { baseUrl: "${EPAYCO_VALIDATION_URL}" })`;
  if (/^(off|false|no)$/i.test(given.trim())) return `${expected}: to turn the check off write validation: false`;
  return expected;
}

export const epaycoSourceSchema = strictFields({
  name: sourceName,
  kind: z.literal('epayco'),
  /** P_CUST_ID_CLIENTE from the ePayco dashboard. */
  customerId: z.string().min(1),
  /** P_KEY values (current first; a second one is accepted during rotation). */
  pKeys: secretList,
  /** Accept confirmations sent as a GET query string. (Default: true) */
  acceptGet: z.boolean().default(true),
  /**
   * The ePayco account is in test mode: its test transactions count as payments. Leave it off in
   * production. Anyone can make a test transaction for your account with the checkout's public
   * key and a test card, and ePayco then sends your confirmation URL a correctly signed
   * "accepted" confirmation. Off, a transaction ePayco reports as a test (`x_test_request` TRUE,
   * or accepted with the test approval code 000000, which ePayco's own plugins refuse in
   * production) is stored with no transaction status, type `transaction.test`, and its state
   * and invoice under `payload.testTransaction`, out of a pipeline's way. (Default: false)
   */
  testMode: z.boolean().default(false),
  /**
   * Server-side validation (on by default): before accepting, webpig reads the transaction
   * from ePayco's reference endpoint (`GET <baseUrl>/validation/v1/reference/<x_ref_payco>`)
   * and stores the state and invoice ePayco reports, since `x_signature` does not cover them.
   * `false` turns it off (webpig warns at start): confirmations are then stored with no
   * transaction status and without their unauthenticated state and invoice fields.
   * (Default: { baseUrl: 'https://secure.epayco.co', timeoutMs: 5000 })
   */
  validation: z
    .union(
      [
        z.literal(false),
        strictFields({
          /** (Default: https://secure.epayco.co) */
          baseUrl: z
            .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL (WEBPIG_EPAYCO_VALIDATION sets it too)' })
            .default(EPAYCO_VALIDATION_URL),
          /** (Default: 5000) */
          timeoutMs: z.number().int().positive().default(5000),
        }),
      ],
      { error: (issue) => (issue.code === 'invalid_union' ? epaycoValidationMismatch(issue.input) : undefined) },
    )
    .default({ baseUrl: EPAYCO_VALIDATION_URL, timeoutMs: 5000 }),
});

export const mercadopagoSourceSchema = strictFields({
  name: sourceName,
  kind: z.literal('mercadopago'),
  /** The application's "secret signature" (current first). Optional only with verifyByFetching. */
  secrets: z.array(z.string().min(1, 'a secret may not be empty')).default([]),
  /**
   * How `data.id` enters the signed manifest. MercadoPago's Orders docs say "use it in lower
   * case", the official SDK keeps it as received; 'either' accepts both. (Default: 'either')
   */
  dataIdCase: z.enum(['as-received', 'lower', 'either']).default('either'),
  /**
   * Reject signatures whose `ts` is further than this from now. MercadoPago documents no
   * tolerance and its retries continue for a long time, so by default there is none: a replay
   * is deduplicated anyway and the pipeline re-reads the resource from the API. (Default: off)
   */
  toleranceSeconds: toleranceSeconds.optional(),
  /**
   * Accept unsigned legacy IPN notifications (`?topic=payment&id=…`). Their authenticity
   * comes from reading the resource from this API (the pipeline's first stage does the read).
   * (Default: off — unsigned notifications are rejected with 401)
   */
  verifyByFetching: strictFields({
    /** (Default: https://api.mercadopago.com) */
    apiBaseUrl: z.url().default('https://api.mercadopago.com'),
  }).optional(),
}).refine((source) => source.secrets.length > 0 || source.verifyByFetching !== undefined, {
  path: ['secrets'],
  message: 'a MercadoPago source needs a secret unless verifyByFetching is set',
});

/**
 * Stripe's `GET /v1/events` reaches back 30 days (its API reference: "going back up to 30 days"):
 * reconciliation lists no further (src/sources/listing/stripe-events.ts), and the config refuses
 * a Stripe source's `reconcile.lookBack` beyond it (src/config/schema.ts).
 */
export const STRIPE_EVENTS_KEPT_DAYS = 30;

export const stripeSourceSchema = strictFields({
  name: sourceName,
  kind: z.literal('stripe'),
  /** Endpoint secrets `whsec_…` (current first). */
  secrets: secretList,
  /** (Default: 300, Stripe's own) */
  toleranceSeconds: toleranceSeconds.default(300),
  /**
   * The source receives Stripe's test mode on purpose: its test events (`livemode: false`) count
   * as payments. Leave it off in production. Off, a test event (listing the test endpoint's secret
   * beside the live one during setup is enough for one to pass the signature check) is stored
   * with no transaction status, type `test_event`, and its `type` and `data` under
   * `payload.testEvent`, out of a pipeline's way. A live event is a payment either way: real
   * money moved. (Default: false)
   */
  testMode: z.boolean().default(false),
});

/** A dot path into the JSON body, e.g. `data.object.id`. */
const jsonPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a JSON path looks like data.object.id');

export const customSourceSchema = strictFields({
  name: sourceName,
  kind: z.literal('custom'),
  /** HMAC-SHA256 keys (current first). */
  secrets: secretList,
  /** Header holding the signature. (Default: x-webpig-signature) */
  signatureHeader: z.string().min(1).default('x-webpig-signature'),
  /** Text before the signature in the header, e.g. `sha256=`. (Default: none) */
  signaturePrefix: z.string().default(''),
  /** (Default: hex) */
  signatureEncoding: z.enum(['hex', 'base64']).default('hex'),
  /**
   * When set, the signed string is `${timestamp}.${rawBody}` with the timestamp (unix seconds,
   * or milliseconds when above 1e12) taken from this header, and it must be within
   * `toleranceSeconds` of now. (Default: none — the signed string is the raw body)
   */
  timestampHeader: z.string().min(1).optional(),
  /** (Default: 300) */
  toleranceSeconds: toleranceSeconds.default(300),
  /** Where the facts are in the JSON body. */
  paths: strictFields({
    /** The sender's id of the event: the dedupe key. Required. */
    eventId: jsonPath,
    entityKey: jsonPath.optional(),
    type: jsonPath.optional(),
    /** ISO-8601 string, or unix seconds/milliseconds. (Default: the time it was received) */
    occurredAt: jsonPath.optional(),
    /**
     * The sender's payment status: accepted | rejected | pending | reversed, or any value that
     * `statusMap` maps to one of them. Any other value is kept as the event's raw status with
     * its transaction status unknown (null): the delivery is stored, never refused.
     */
    transactionStatus: jsonPath.optional(),
  }),
  /**
   * The sender's own status words, e.g. `{ paid: 'accepted', refunded: 'reversed', failed:
   * 'rejected' }`; matched exactly first, then ignoring case. (Default: none)
   */
  statusMap: z.record(z.string().min(1), z.enum(['accepted', 'rejected', 'pending', 'reversed'])).default({}),
  /** Where the dashboard's summary fields are in the body. (Default: none) */
  summaryPaths: strictFields({
    customerName: jsonPath,
    customerEmail: jsonPath,
    customerDocumentId: jsonPath,
    customerPhone: jsonPath,
    /** The product's name. */
    product: jsonPath,
    /** The product's id (a SKU, a plan id), not an order or invoice id. */
    productId: jsonPath,
    productCategory: jsonPath,
    /** The product's price, in the currency's major unit; a number or a numeric string. */
    productPrice: jsonPath,
    /** In the currency's major unit; a number or a numeric string. */
    amount: jsonPath,
    currency: jsonPath,
    /** Reference name → path, e.g. `{ invoice: 'invoice.id' }`. */
    references: z.record(z.string().min(1), jsonPath),
  })
    .partial()
    .default({}),
  /** Event type when `paths.type` is not set or absent. (Default: 'event') */
  defaultType: z.string().min(1).default('event'),
});

export const sourceConfigSchema = z.discriminatedUnion('kind', [
  epaycoSourceSchema,
  mercadopagoSourceSchema,
  stripeSourceSchema,
  customSourceSchema,
]);

/** A source as a user writes it in webpig.config.ts (options with defaults may be left out). */
export type SourceConfig = z.input<typeof sourceConfigSchema>;
/** A validated source, defaults applied: what the adapters receive. */
export type ResolvedSourceConfig = z.output<typeof sourceConfigSchema>;
export type SourceKind = ResolvedSourceConfig['kind'];
export type EpaycoSourceConfig = z.output<typeof epaycoSourceSchema>;
export type MercadopagoSourceConfig = z.output<typeof mercadopagoSourceSchema>;
export type StripeSourceConfig = z.output<typeof stripeSourceSchema>;
export type CustomSourceConfig = z.output<typeof customSourceSchema>;
