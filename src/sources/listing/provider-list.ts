import { WebpigError } from '../../core/errors.js';
import type { NormalizedDelivery } from '../source.js';

/**
 * A provider's own list of what happened on the account (Stripe's events, MercadoPago's
 * payments), read page by page for reconciliation (docs/reconcile.md). Each item is normalised
 * exactly as its webhook would be, so its `providerEventId` is the webhook's dedupe key.
 */
export interface ListedItem {
  delivery: NormalizedDelivery;
  /** The bytes stored as the event's raw body (the provider's JSON for this item). */
  rawBody: Buffer;
  /**
   * Webpig holds it when any event of its entity exists (MercadoPago: each notification has its
   * own key, so an event id cannot say). (Default: false — held when its dedupe key is stored)
   */
  matchEntity?: boolean;
  /**
   * With `matchEntity`: when the provider last changed it. Then webpig holds it only when an
   * event of its entity was received since: a notification received before a refund does not
   * stand for the refund's, which may have been lost. (Default: any event of the entity holds it)
   */
  changedAt?: Date;
}

export interface ListedPage {
  items: ListedItem[];
  /** Where the next page starts; null when this was the last page of the window. */
  nextCursor: string | null;
}

export interface ProviderList {
  /** Names the provider in messages and alerts ("Stripe"). */
  readonly provider: string;
  /**
   * 'dates': `page` lists everything in the window since `since`, so a finished run covers it;
   * 'references': it looks up only the references it is given (ePayco), no window of dates.
   * (Default: 'dates')
   */
  readonly listsBy?: 'dates' | 'references';
  /**
   * How far back the provider's list reaches (Stripe keeps its events 30 days): a window asked
   * to start earlier is listed from there, and the run says so — what happened before cannot be
   * found, and is not recorded as compared. (Default: no limit)
   */
  readonly reachesBackMs?: number;
  /**
   * One page of the items created at or after `since`, from `cursor` (null: the first page).
   * `signal` aborts the request in flight (a worker shutting down does not wait for its answer).
   */
  page(since: Date, cursor: string | null, signal?: AbortSignal): Promise<ListedPage>;
  /** Ids the provider itself reports as not delivered since then (Stripe: `delivery_success=false`), where it can. */
  undelivered?(since: Date, signal?: AbortSignal): Promise<string[]>;
}

export type ProviderApiErrorCode = 'PROVIDER_RATE_LIMITED' | 'PROVIDER_UNAVAILABLE' | 'PROVIDER_REFUSED';

/**
 * The provider's API did not answer with a page. Rate limits (429), its 5xx and network
 * failures are worth another try later (`retriable`); anything else (a wrong key: 401) is not.
 * Messages never hold the credential.
 */
export class ProviderApiError extends WebpigError {
  declare readonly code: ProviderApiErrorCode;
  readonly status: number | null;
  readonly retryAfterMs: number | undefined;

  constructor(status: number | null, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    const code: ProviderApiErrorCode =
      status === 429 ? 'PROVIDER_RATE_LIMITED' : status === null || status >= 500 ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_REFUSED';
    super(code, message, options);
    this.status = status;
    this.retryAfterMs = options?.retryAfterMs;
  }

  get retriable(): boolean {
    return this.code !== 'PROVIDER_REFUSED';
  }
}
