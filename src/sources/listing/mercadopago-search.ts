import type { JsonObject } from '../../core/types.js';
import { asText, isJsonObject, parseTime } from '../delivery-reading.js';
import type { NormalizedDelivery } from '../source.js';
import { ProviderApiError, type ListedItem, type ListedPage, type ProviderList } from './provider-list.js';

/**
 * MercadoPago's searches: `GET /v1/payments/search` by date (`range=date_last_updated`,
 * `begin_date`, oldest first) and `GET /preapproval/search` (no date filter: see SEARCHES), both
 * paged by `offset`/`limit`, with the account's access token. A notification carries only an id (its dedupe key is `data.id:x-request-id`,
 * unique per notification), so a found payment is matched by what a notification for it
 * would have produced: the entity `payment:<id>` (`subscription_preapproval:<id>`), the type
 * `payment.updated`, and the notification's own body as payload; webpig holds it when an
 * event of that entity was received since it last changed (`changedAt`: a payment's
 * `date_last_updated`, a subscription's `last_modified`). Its dedupe key is `<id>:reconciled-<status>`, so a rerun finds
 * it again and creates nothing. A notification arriving later is not a duplicate of it (it may
 * announce a changed payment): a second event of the entity, whose pipeline re-reads the payment
 * and does nothing twice (docs/reconcile.md, "Late and concurrent webhooks").
 */
export interface MercadopagoListConfig {
  /** (Default: https://api.mercadopago.com) */
  apiBaseUrl?: string;
  /** The account's access token (`APP_USR-…`). Never logged. */
  accessToken: string;
  /** (Default: 100) */
  pageSize?: number;
  /** (Default: 20_000) */
  timeoutMs?: number;
}

export const MERCADOPAGO_API_URL = 'https://api.mercadopago.com';

/**
 * Payments are searched by `date_last_updated`: a payment made before the window and refunded
 * in it is listed (by `date_created` it would not be). An object changed while the search is
 * paged moves to its end and is listed there; one it pushes back past the offset is listed by
 * the next run, whose window overlaps this one.
 *
 * Subscriptions: MercadoPago documents no date filter for `/preapproval/search` (its reference
 * and its Node SDK name `q`, `payer_id`, `payer_email`, `preapproval_plan_id`,
 * `transaction_amount`, `semaphore`, `status`, `sort`, `limit`, `offset`), so none is sent: an
 * API that ignored one would list every subscription the account ever had, and each one older
 * than webpig would have been created as "never notified" — its pipeline run on it. Every page
 * is read, and a subscription not changed since the window began (`last_modified`, else
 * `date_created` when it has none) is dropped here: one cancelled or paused in the window is
 * compared however old it is, one untouched since before the window never is.
 */
const SEARCHES = [
  { path: '/v1/payments/search', topic: 'payment', action: 'payment.updated', range: 'date_last_updated', changed: 'date_last_updated' },
  { path: '/preapproval/search', topic: 'subscription_preapproval', action: 'updated', range: null, changed: 'last_modified' },
] as const;

/** The cursor: which search (0 payments, 1 preapprovals) and the offset in it. */
function parseCursor(cursor: string | null): { search: number; offset: number } {
  const match = /^(\d):(\d+)$/.exec(cursor ?? '');
  return match ? { search: Number(match[1]), offset: Number(match[2]) } : { search: 0, offset: 0 };
}

export function mercadopagoSearchList(config: MercadopagoListConfig): ProviderList {
  const base = (config.apiBaseUrl ?? MERCADOPAGO_API_URL).replace(/\/+$/, '');
  const pageSize = config.pageSize ?? 100;
  return {
    provider: 'MercadoPago',
    async page(since: Date, cursor: string | null, signal?: AbortSignal): Promise<ListedPage> {
      const at = parseCursor(cursor);
      const search = SEARCHES[at.search] ?? SEARCHES[0];
      const paging = { limit: String(pageSize), offset: String(at.offset) };
      const query = new URLSearchParams(
        search.range === null
          ? paging
          : { range: search.range, begin_date: since.toISOString(), end_date: 'NOW', sort: search.range, criteria: 'asc', ...paging },
      );
      const body = await getJson(`${base}${search.path}?${query}`, config, search.path, signal);
      // Anything but a page of results (a proxy's or an outage's JSON) is an error, never an empty window.
      if (!Array.isArray(body.results) || !isJsonObject(body.paging) || typeof body.paging.total !== 'number') {
        throw new ProviderApiError(502, `MercadoPago: GET ${search.path} answered without results and paging.total`);
      }
      const results = body.results.filter(isJsonObject);
      const total = body.paging.total;
      const inWindow = search.range === null ? results.filter((record) => changedSince(record, search.changed, since)) : results;
      const items = inWindow.map((record) => asListedItem(record, search));
      const nextOffset = at.offset + results.length;
      const more = results.length > 0 && nextOffset < total;
      const nextCursor = more ? `${at.search}:${nextOffset}` : at.search + 1 < SEARCHES.length ? `${at.search + 1}:0` : null;
      return { items, nextCursor };
    },
  };
}

/**
 * Last changed at or after `since` (`changed`, else `date_created`); one with neither date
 * readable cannot be placed in the window.
 */
function changedSince(record: JsonObject, changed: string, since: Date): boolean {
  const at = parseTime(asText(record[changed])) ?? parseTime(asText(record.date_created));
  return at !== undefined && at.getTime() >= since.getTime();
}

async function getJson(url: string, config: MercadopagoListConfig, what: string, signal: AbortSignal | undefined): Promise<JsonObject> {
  const timeout = AbortSignal.timeout(config.timeoutMs ?? 20_000);
  let reply: Response;
  try {
    reply = await fetch(url, {
      headers: { authorization: `Bearer ${config.accessToken}`, accept: 'application/json' },
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
  } catch (err) {
    throw new ProviderApiError(null, `MercadoPago: GET ${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (!reply.ok) {
    const retryAfter = Number(reply.headers.get('retry-after'));
    const hint =
      reply.status === 401 || reply.status === 403
        ? ' (the access token was refused: check WEBPIG_MERCADOPAGO_ACCESS_TOKEN or reconcile.<source>.apiKey)'
        : '';
    throw new ProviderApiError(reply.status, `MercadoPago: GET ${what} answered ${reply.status}${hint}`, {
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    });
  }
  const body: unknown = await reply.json().catch(() => null);
  if (!isJsonObject(body)) throw new ProviderApiError(502, `MercadoPago: GET ${what} answered something that is not a JSON object`);
  return body;
}

function asListedItem(record: JsonObject, search: (typeof SEARCHES)[number]): ListedItem {
  const { topic, action } = search;
  const id = asText(record.id) ?? '';
  const status = asText(record.status) ?? 'unknown';
  // When it last changed (a payment's `date_last_updated`, a subscription's `last_modified`).
  const created = asText(record[search.changed]) ?? asText(record.date_created) ?? null;
  const changedAt = parseTime(asText(record[search.changed]));
  // The body a notification about this object carries (MercadoPago's webhooks guide): the pipeline reads
  // `data.id` and fetches the object, as it does for a notification.
  const notification: JsonObject = {
    action,
    api_version: 'v1',
    data: { id },
    date_created: created,
    live_mode: record.live_mode === true,
    type: topic,
  };
  const typeName = action.includes('.') ? action : `${topic}.${action}`;
  const delivery: NormalizedDelivery = {
    providerEventId: `${id}:reconciled-${status}`,
    entityKey: `${topic}:${id}`,
    type: typeName,
    transactionStatus: null,
    occurredAt: parseTime(created) ?? new Date(),
    payload: notification,
    summary: { references: { mercadopagoId: id } },
  };
  return { delivery, rawBody: Buffer.from(JSON.stringify(record)), matchEntity: true, ...(changedAt ? { changedAt } : {}) };
}
