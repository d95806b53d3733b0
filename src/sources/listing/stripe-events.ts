import Stripe from 'stripe';
import { STRIPE_EVENTS_KEPT_DAYS } from '../../core/source-config.js';
import type { JsonObject } from '../../core/types.js';
import { isJsonObject } from '../delivery-reading.js';
import { normalizeStripeEvent } from '../stripe.js';
import { ProviderApiError, type ListedPage, type ProviderList } from './provider-list.js';

/**
 * Stripe's `GET /v1/events`, read with the official package: the event types the pipelines
 * care about, `created[gte]`, newest first, 100 a page, `starting_after` the last id of the
 * previous page. Each event is the object its webhook carries, so it goes through the webhook's
 * normalisation (`normalizeStripeEvent`) and keeps its dedupe key, `event.id`.
 *
 * `apiBaseUrl` is https://api.stripe.com in production; the sandbox serves the same API under a
 * path prefix (`…/sandbox/stripe`), which the package cannot express, so its HTTP client gets
 * the prefix added to every path (as examples/stripe-orders does).
 */
export interface StripeListConfig {
  /** (Default: https://api.stripe.com) */
  apiBaseUrl?: string;
  /** A secret or restricted key that may read events (`sk_…`, `rk_…`). Never logged. */
  apiKey: string;
  /**
   * Event types to list, at most 20; `*` wildcards allowed (`payment_intent.*`). Stripe's
   * `types[]` takes exact names only, so patterns are sent as `type` (one) or matched here.
   * (Default: all)
   */
  types?: readonly string[];
  /** (Default: 100, Stripe's largest) */
  pageSize?: number;
  /** (Default: 20_000) */
  timeoutMs?: number;
  /** Test events (`livemode: false`) count as payments, as the source's `testMode` says. (Default: false) */
  testMode?: boolean;
}

export const STRIPE_API_URL = 'https://api.stripe.com';

/** Stripe's `GET /v1/events` reaches back 30 days (its API reference: "going back up to 30 days"). */
export const STRIPE_EVENTS_KEPT_MS = STRIPE_EVENTS_KEPT_DAYS * 86_400_000;

export function stripeEventList(config: StripeListConfig): ProviderList {
  const pageSize = config.pageSize ?? 100;
  const filter = typeFilter(config.types ?? []);
  return {
    provider: 'Stripe',
    reachesBackMs: STRIPE_EVENTS_KEPT_MS,
    async page(since: Date, cursor: string | null, signal?: AbortSignal): Promise<ListedPage> {
      const stripe = stripeClient(config, signal);
      const params: Stripe.EventListParams = { limit: pageSize, created: { gte: Math.floor(since.getTime() / 1000) }, ...filter.params };
      if (cursor !== null) params.starting_after = cursor;
      let list: Stripe.ApiList<Stripe.Event>;
      try {
        list = await stripe.events.list(params);
      } catch (err) {
        throw stripeApiError(err);
      }
      // A proxy or an outage page can answer 200 with other JSON: an error, never an empty window.
      if (!Array.isArray(list.data))
        throw new ProviderApiError(502, 'Stripe: GET /v1/events answered something that is not a list of events');
      const items = list.data
        .filter((event) => filter.keeps(event.type))
        .map((event) => {
          const json = JSON.parse(JSON.stringify(event)) as unknown;
          const object: JsonObject = isJsonObject(json) ? json : {};
          return {
            delivery: normalizeStripeEvent(object, new Date(), { testMode: config.testMode ?? false }),
            rawBody: Buffer.from(JSON.stringify(object)),
          };
        });
      const last = list.data.at(-1);
      return {
        items,
        nextCursor: list.has_more && last ? last.id : null,
      };
    },
    async undelivered(since: Date, signal?: AbortSignal): Promise<string[]> {
      const stripe = stripeClient(config, signal);
      const ids: string[] = [];
      const params: Stripe.EventListParams = {
        limit: pageSize,
        created: { gte: Math.floor(since.getTime() / 1000) },
        delivery_success: false,
        ...filter.params,
      };
      try {
        for await (const event of stripe.events.list(params)) if (filter.keeps(event.type)) ids.push(event.id);
      } catch (err) {
        throw stripeApiError(err);
      }
      return ids;
    },
  };
}

/**
 * How the configured types reach Stripe. Its `types[]` filter takes exact event names only (a
 * `payment_intent.*` there matches no event, and every payment would go unseen), and its
 * `type` takes one name or pattern, never with `types`. So: exact names → `types`; a single
 * pattern → `type`; several names with a pattern among them → every type listed, matched here.
 */
function typeFilter(types: readonly string[]): {
  params: Pick<Stripe.EventListParams, 'type' | 'types'>;
  keeps: (type: string) => boolean;
} {
  const keepAll = () => true;
  if (types.length === 0) return { params: {}, keeps: keepAll };
  if (!types.some((type) => type.includes('*'))) return { params: { types: [...types] }, keeps: keepAll };
  if (types.length === 1) return { params: { type: types[0] as string }, keeps: keepAll };
  const patterns = types.map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return { params: {}, keeps: (type) => patterns.some((pattern) => pattern.test(type)) };
}

/** A client for one call: `signal` aborts its requests, as the package's own timeout does. */
function stripeClient(config: StripeListConfig, signal: AbortSignal | undefined): Stripe {
  const url = new URL(config.apiBaseUrl ?? STRIPE_API_URL);
  const prefix = url.pathname.replace(/\/+$/, '');
  const fetchClient = Stripe.createFetchHttpClient(
    signal ? (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }) : undefined,
  );
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
    timeout: config.timeoutMs ?? 20_000,
    maxNetworkRetries: 0, // reconciliation backs off itself, and resumes from the page it reached
  });
}

const REFUSED_KEY_HINT = ' (check WEBPIG_STRIPE_API_KEY or reconcile.<source>.apiKey: a secret or restricted key with "Events: read")';

function stripeApiError(err: unknown): ProviderApiError {
  if (err instanceof Stripe.errors.StripeError) {
    const status = typeof err.statusCode === 'number' ? err.statusCode : null;
    const retryAfter = Number(err.headers?.['retry-after']);
    // Stripe's 401 message quotes the key, masked but for its end: none of it goes further.
    const message = err.message.replace(/\b[sprk]k_(?:test|live)_[A-Za-z0-9*]+/g, '[key]');
    const what =
      status === null ? `failed: ${message}` : `answered ${status}: ${message}${status === 401 || status === 403 ? REFUSED_KEY_HINT : ''}`;
    return new ProviderApiError(status, `Stripe: GET /v1/events ${what}`, {
      cause: err,
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    });
  }
  return new ProviderApiError(null, `Stripe: GET /v1/events failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
