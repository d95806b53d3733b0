import { WebpigError } from '../core/errors.js';
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

const STATUS_BY_CODE: Record<SourceErrorCode, number> = {
  MALFORMED_BODY: 400,
  MISSING_FIELD: 400,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_OUT_OF_TOLERANCE: 401,
  VALIDATION_MISMATCH: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  METHOD_NOT_ALLOWED: 405,
  // The provider's own API could not be asked: a retry later may succeed.
  VALIDATION_UNAVAILABLE: 503,
};

/**
 * Why a delivery was refused. The message is shown to the sender and kept in the rejection
 * log, so it names what is wrong (a field, a header) and never contains a secret.
 */
export class SourceError extends WebpigError {
  declare readonly code: SourceErrorCode;
  readonly statusCode: number;

  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.statusCode = STATUS_BY_CODE[code];
  }
}

/** The builder each provider module exports. */
export type AdapterFactory<C extends ResolvedSourceConfig> = (config: C) => SourceAdapter;
