import { WebpigError } from '../core/errors.js';
import { httpStatusOf } from '../core/http-errors.js';
import type { EventSummary, JsonValue, TransactionStatus } from '../core/types.js';
import type { ResolvedSourceConfig, SourceKind } from './config.js';

/** One HTTP request to `/webhooks/<source>`, exactly as it arrived. */
export interface IncomingDelivery {
  method: 'GET' | 'POST';
  /** Header names in lower case (node's IncomingHttpHeaders). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query string without the leading `?`, undecoded ('' when there is none). */
  rawQuery: string;
  /** The exact body bytes: signatures are computed over them. */
  rawBody: Buffer;
  remoteAddress: string | null;
}

/** What an authentic delivery says, in webpig's terms (maps onto NewEvent). */
export interface NormalizedDelivery {
  /** The dedupe key: the same delivery twice has the same id. Unique per source. */
  providerEventId: string;
  entityKey: string | null;
  type: string;
  transactionStatus: TransactionStatus | null;
  occurredAt: Date;
  payload: JsonValue;
  summary: EventSummary;
}

export interface SourceAdapter {
  readonly name: string;
  readonly kind: SourceKind;
  /** Whether `GET /webhooks/<name>` is a valid way to deliver (ePayco query confirmations). */
  readonly acceptsGet: boolean;
  /** Verifies the delivery and reads its identity; throws SourceError when it is not acceptable. */
  verify(delivery: IncomingDelivery, now: Date): Promise<NormalizedDelivery>;
}

/** A subset of the request error codes of core/http-errors.ts, whose table gives each its status. */
export type SourceErrorCode =
  | 'MALFORMED_BODY'
  | 'MISSING_FIELD'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'TIMESTAMP_OUT_OF_TOLERANCE'
  | 'VALIDATION_MISMATCH'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'VALIDATION_UNAVAILABLE';

/**
 * Why a delivery was refused. The message is shown to the sender and kept in the rejection
 * log, so it names what is wrong (a field, a header) and never contains a secret.
 */
export class SourceError extends WebpigError {
  declare readonly code: SourceErrorCode;
  readonly statusCode: number;

  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    // VALIDATION_UNAVAILABLE is a 503: the provider's own API could not be asked, a retry may succeed.
    this.statusCode = httpStatusOf(code);
  }
}

/** The builder each provider module exports. */
export type AdapterFactory<C extends ResolvedSourceConfig> = (config: C) => SourceAdapter;
