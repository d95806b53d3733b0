import Stripe from 'stripe';
import { HttpCallError, type StageHttp } from '../../src/index.js';

/**
 * Reads the current state of a PaymentIntent with the official `stripe` package, so a decision
 * that depends on it (shipping goods) trusts what Stripe says now, not an event that may be old
 * (Stripe does not deliver in order: docs.stripe.com/webhooks, "Event ordering"). `baseUrl` is https://api.stripe.com in
 * production; the sandbox serves the same API under a path prefix (`…/sandbox/stripe`), which
 * the package cannot express, so its HTTP client gets the prefix added to every path.
 */
export interface StripeApiConfig {
  /** (Default: https://api.stripe.com) */
  baseUrl?: string;
  /** A secret or restricted key that may read PaymentIntents (`sk_…`, `rk_…`). */
  apiKey: string;
}

export interface PaymentIntentNow {
  id: string;
  status: string;
  amountReceived: number;
  /** True when the latest charge was refunded (in full or in part). */
  refunded: boolean;
}

/**
 * `http`: the calling stage's `ctx.http`, so the call (its secret key redacted) shows in the
 * stage panel; without it the global fetch is used.
 */
export function stripeApiClient(config: StripeApiConfig): { paymentIntent(id: string, http?: StageHttp): Promise<PaymentIntentNow> } {
  return {
    async paymentIntent(id, http) {
      return readPaymentIntent(stripeFor(config, http), id);
    },
  };
}

/** A Stripe client whose requests go through `http.fetch` (one per call: the stage's recorder). */
function stripeFor(config: StripeApiConfig, http: StageHttp | undefined): Stripe {
  const url = new URL(config.baseUrl ?? 'https://api.stripe.com');
  const prefix = url.pathname.replace(/\/+$/, '');
  const recordingFetch: typeof fetch | undefined = http
    ? (input, init) => http.fetch(typeof input === 'string' || input instanceof URL ? input : input.url, init)
    : undefined;
  const fetchClient = Stripe.createFetchHttpClient(recordingFetch);
  const httpClient: typeof fetchClient = Object.assign(Object.create(fetchClient) as typeof fetchClient, {
    makeRequest: (...args: Parameters<typeof fetchClient.makeRequest>) => {
      const [host, port, path, ...rest] = args;
      return fetchClient.makeRequest(host, port, `${prefix}${path}`, ...rest);
    },
  });
  return new Stripe(config.apiKey, {
    host: url.hostname,
    port: url.port || (url.protocol === 'http:' ? 80 : 443),
    protocol: url.protocol === 'http:' ? 'http' : 'https',
    httpClient,
    maxNetworkRetries: 0, // the engine retries the stage with its own schedule
  });
}

async function readPaymentIntent(stripe: Stripe, id: string): Promise<PaymentIntentNow> {
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.retrieve(id, { expand: ['latest_charge'] });
  } catch (err) {
    // The engine decides retries from the HTTP status (404 permanent, 5xx/429 retriable).
    if (err instanceof Stripe.errors.StripeError && typeof err.statusCode === 'number') {
      throw new HttpCallError(err.statusCode, `Stripe: GET /v1/payment_intents/${id} answered ${err.statusCode}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const charge = typeof intent.latest_charge === 'object' && intent.latest_charge !== null ? intent.latest_charge : null;
  return {
    id: intent.id,
    status: intent.status,
    amountReceived: intent.amount_received ?? 0,
    refunded: charge?.refunded === true || (charge?.amount_refunded ?? 0) > 0,
  };
}
