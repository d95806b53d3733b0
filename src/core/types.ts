/**
 * Terminology
 *
 * - delivery:   one HTTP request from a provider to `POST /webhooks/<source>`. Authentic
 *               deliveries become events; the same delivery twice is one event.
 * - event:      a stored delivery (the inbox row): exact raw bytes, parsed payload, identity
 *               (source + provider event id), entity key, status, lease and summary.
 * - pipeline:   a named list of stages, chosen for an event by its match rule.
 * - stage:      one async step of a pipeline (an invoice in the ERP, a WhatsApp message...).
 * - checkpoint: the durable record of one stage of one event, keyed by (event id, stage).
 * - attempt:    one run (or recovery) of a stage; a checkpoint keeps the history of them.
 * - lease:      a worker's time-bounded claim on an event; it is renewed while the worker runs
 *               and, once expired, another worker may resume the event from its checkpoints.
 * - entity:     the business object an event is about (a payment, an order, a subscription),
 *               named by its entity key; events of one entity run one at a time, in order.
 * - flag:       a named boolean that can switch a stage off (the stage is `skipped`, with why).
 * - column:     a dashboard grouping of stages (FRAPP, CRM, WO, Factura, DIAN, Cartera, Ventas).
 */

export type EventStatus = 'queued' | 'processing' | 'succeeded' | 'retrying' | 'dead' | 'ignored';
export const EVENT_STATUSES: readonly EventStatus[] = ['queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored'];

/** Normalised outcome of the payment the event reports, whatever the provider calls it. */
export type TransactionStatus = 'accepted' | 'rejected' | 'pending' | 'reversed';
export const TRANSACTION_STATUSES: readonly TransactionStatus[] = ['accepted', 'rejected', 'pending', 'reversed'];

export type CheckpointStatus = 'pending' | 'processing' | 'success' | 'error' | 'skipped';
export const CHECKPOINT_STATUSES: readonly CheckpointStatus[] = ['pending', 'processing', 'success', 'error', 'skipped'];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** What the payment was for, as far as the provider or a stage knows it. */
export interface ProductSummary {
  /** The product's name as shown to people (the provider's description, or FR360's name). */
  name?: string;
  /** The product's id in the system that sells it (a SKU, a plan id); not an invoice or order id. */
  id?: string;
  category?: string;
  /** The product's price in the currency's major unit, like `amount` (what was paid is `amount`). */
  price?: number;
}

/** Structured facts about an event, shown on the dashboard. Never parsed out of log strings. */
export interface EventSummary {
  customer?: {
    name?: string;
    /** The customer's document id (in Colombia the "cédula", shown as CC). */
    documentId?: string;
    email?: string;
    phone?: string;
  };
  product?: ProductSummary;
  /** Amount in the currency's major unit, as the provider reported it. */
  amount?: number;
  currency?: string;
  /** Business references: invoice id, order id, payment reference, external reference... */
  references?: Record<string, string>;
}

export interface ErrorInfo {
  message: string;
  code?: string;
  retriable: boolean;
  /** HTTP status of the failed call, when the error came from one. */
  httpStatus?: number;
}

/** Why a stage did not run. */
export type SkipReason =
  | { kind: 'flag'; flag: string; value: boolean }
  | { kind: 'dependency'; stage: string; status: CheckpointStatus }
  /** `texts`: the condition's reason by language, when when() gave one (`detail` is then its English, else Spanish). */
  | { kind: 'condition'; detail: string; texts?: Partial<Record<'es' | 'en', string>> };

/** Why an event was not (or no longer) processed. */
export interface IgnoreReason {
  kind: 'no_pipeline' | 'not_applicable' | 'stale_transition' | 'invalid_transition';
  detail: string;
  /** `not_applicable`: the pipeline's reason by language, when it gave one (`detail` is then its English, else Spanish). */
  texts?: Partial<Record<'es' | 'en', string>>;
}

/** 'reconciliation': the webhook never arrived; webpig found the event in the provider's own list. */
export type EventOrigin = 'webhook' | 'reconciliation';

export interface EventRecord {
  /** webpig's own id: a positive integer, returned to the provider in the 200 reply. */
  id: number;
  source: string;
  /** The provider's id of this delivery; unique per source (the dedupe key). */
  providerEventId: string;
  /** The business entity this event is about; events of one key are processed in order. */
  entityKey: string | null;
  type: string;
  transactionStatus: TransactionStatus | null;
  /** When the provider says the event happened (the ordering key within an entity). */
  occurredAt: Date;
  receivedAt: Date;
  /** The exact bytes the provider sent (signatures are computed over them). */
  rawBody: Buffer;
  /** Content type the delivery came with. */
  contentType: string | null;
  payload: JsonValue;
  summary: EventSummary;
  status: EventStatus;
  /** Name of the pipeline that handles this event, once chosen. */
  pipeline: string | null;
  /** How many times a worker has started processing this event. */
  attempts: number;
  /** How many times an operator has put it back in the queue by hand. */
  manualRetries: number;
  nextAttemptAt: Date | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  lastError: ErrorInfo | null;
  ignoreReason: IgnoreReason | null;
  updatedAt: Date;
  /** How webpig got it: its webhook, or reconciliation with the provider's own records (docs/reconcile.md). */
  origin: EventOrigin;
  /**
   * A dead event someone marked as handled by hand (refunded, invoiced manually), while that
   * still holds: null (or absent) once a retry or a new failure changed the event after it.
   */
  handled?: HandledMark | null;
}

/** Who set a dead event aside by hand, when and why (Store.markEventHandled). */
export interface HandledMark {
  at: Date;
  by: string;
  reason: string;
}

export interface AttemptRecord {
  attempt: number;
  status: CheckpointStatus;
  startedAt: Date;
  completedAt: Date | null;
  durationMs: number | null;
  error: ErrorInfo | null;
  /** e.g. 'recovered by reconcile', 'resumed after lease expiry', 'manual re-run by ana@…'. */
  note: string | null;
}

export interface CheckpointRecord {
  eventId: number;
  stage: string;
  status: CheckpointStatus;
  attempts: number;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
  data: JsonValue | null;
  error: ErrorInfo | null;
  skipReason: SkipReason | null;
  history: AttemptRecord[];
  updatedAt: Date;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EventLogEntry {
  at: Date;
  level: LogLevel;
  stage: string | null;
  /** The stage's attempt that wrote the line (null for the engine's own lines about the event). */
  attempt?: number | null;
  message: string;
  fields: JsonObject | null;
}

/** One side of an HTTP call a stage made, as stored: secrets redacted, body capped. */
export interface HttpMessage {
  headers: Record<string, string>;
  /** The body as text (JSON pretty-printed), or null when there was none or it was not text. */
  body: string | null;
  /** True when the body was cut at the cap (see STAGE_RECORD_LIMITS.bodyChars). */
  bodyTruncated: boolean;
}

/**
 * One HTTP call a stage made during one attempt (through `ctx.http`): what it sent and what
 * it got back. Recorded with the attempt's outcome, so the dashboard can show it.
 */
export interface HttpExchange {
  at: Date;
  request: HttpMessage & { method: string; url: string };
  /** Null when no reply came (network error, timeout). */
  response: (HttpMessage & { status: number }) | null;
  /** Why there is no reply, or null. */
  error: string | null;
  durationMs: number | null;
}

/** An exchange as the store returns it: which stage and attempt made it. */
export interface StageExchange extends HttpExchange {
  stage: string;
  attempt: number;
}

export interface EntityState {
  entityKey: string;
  state: string;
  /** The event that set this state and when that event occurred. */
  eventId: number;
  occurredAt: Date;
  updatedAt: Date;
}

export interface FlagRecord {
  key: string;
  value: boolean;
  description: string;
  updatedAt: Date;
  updatedBy: string | null;
}

export interface FlagChange {
  id: number;
  key: string;
  oldValue: boolean | null;
  newValue: boolean;
  actor: string;
  reason: string | null;
  at: Date;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  /** e.g. 'flag.set', 'event.retry', 'stage.rerun', 'token.create', 'token.revoke'. */
  action: string;
  target: string;
  details: JsonObject | null;
  remoteAddress: string | null;
}

export interface ApiTokenRecord {
  id: number;
  name: string;
  /** sha256 of the secret token, hex; the token itself is shown once and never stored. */
  tokenHash: string;
  scopes: string[];
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface SessionRecord {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface RejectedDelivery {
  id: number;
  at: Date;
  source: string;
  httpStatus: number;
  reason: string;
  remoteAddress: string | null;
  /** The first bytes of the body (at most 256), as text, for diagnosis. */
  firstBytes: string;
}

export type AlertKind = 'retried' | 'dead' | 'stuck' | 'stage_error_rate' | 'backlog' | 'oversold' | 'custom';

/**
 * An alert is an issue: one open row per kind and subject (`event:79`, `stage:dian`, `sku:SKU-1`,
 * `queue`); a repeat while it is open counts an occurrence instead of adding a row.
 */
export interface AlertRecord {
  id: number;
  /** First seen. */
  at: Date;
  kind: AlertKind;
  /** What the issue is about; with `kind`, the key that groups repeats. */
  subject: string;
  /** How many times it was raised while open (1 at first). */
  occurrences: number;
  lastSeenAt: Date;
  eventId: number | null;
  stage: string | null;
  message: string;
  details: JsonObject | null;
  resolvedAt: Date | null;
  /** Someone saw it and is handling it (it stays open until its cause is gone). */
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  ackReason: string | null;
  /** Not forwarded, and shown quiet on the page, until `mutedUntil`: who, when and why. */
  mutedAt: Date | null;
  mutedUntil: Date | null;
  mutedBy: string | null;
  muteReason: string | null;
}

/** A page of results and the cursor for the next one (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
