import type {
  AlertKind,
  AlertRecord,
  CheckpointStatus,
  ErrorInfo,
  EventLogEntry,
  EventOrigin,
  EventRecord,
  EventStatus,
  EventSummary,
  HttpExchange,
  IgnoreReason,
  JsonObject,
  JsonValue,
  SkipReason,
  TransactionStatus,
} from '../core/types.js';

/** The shapes the Store interface (store.ts) takes and returns: inputs, filters, results. */

/** A delivery to store: the record's fields that ingestion knows (documented on EventRecord). */
export type NewEvent = Pick<
  EventRecord,
  | 'source'
  | 'providerEventId'
  | 'entityKey'
  | 'type'
  | 'transactionStatus'
  | 'occurredAt'
  | 'receivedAt'
  | 'rawBody'
  | 'contentType'
  | 'payload'
  | 'summary'
> & {
  /** (Default: 'webhook') */
  origin?: EventOrigin;
};

export interface InsertEventResult {
  event: EventRecord;
  /** True when (source, providerEventId) was already stored: nothing was changed. */
  duplicate: boolean;
}

/** What ingestion's reply needs of a stored delivery (Store.storeDeliveries): its id, and whether it was already stored. */
export interface StoredDelivery {
  id: number;
  /** True when (source, providerEventId) was already stored: nothing was changed. */
  duplicate: boolean;
}

export interface EventFilter {
  status?: EventStatus | EventStatus[];
  source?: string;
  type?: string;
  transactionStatus?: TransactionStatus;
  entityKey?: string;
  pipeline?: string;
  /** receivedAt >= since */
  since?: Date;
  /** receivedAt < until */
  until?: Date;
  /**
   * Substring over customer name/email/document id/phone, references, provider id, ignoring case,
   * accents and digit grouping (search-text.ts: "maria gomez" finds "María Gómez", "300 123 4567"
   * the phone "+573001234567").
   */
  text?: string;
  /** Only events having at least one checkpoint in this status, optionally among these stages. */
  checkpoint?: { status: CheckpointStatus; stages?: string[] };
  /** Only events retried by hand more than this many times, or attempted more than this. */
  minAttempts?: number;
  /** Only events that need someone: dead or retrying, or with a checkpoint in error. */
  needsAttention?: boolean;
  /**
   * true: only events someone marked as handled since they last changed (markEventHandled);
   * false: only the others, those nobody has handled (the home's pinned failures).
   */
  handled?: boolean;
  /** Only events whose summary currency is this code (e.g. 'COP'). */
  currency?: string;
  /** 'reconciliation': only events reconciliation created (their webhooks never arrived); 'webhook': the others. */
  origin?: EventOrigin;
  /**
   * true: only events with a stage skipped because a feature flag was off (a `skipped`
   * checkpoint whose skip reason is a flag); false: only events without one.
   */
  stagesOff?: boolean;
}

export interface EventTotalsOptions {
  /** Also tell succeeded events with a stage skipped by a flag (EventTotal.stagesOff); costs a checkpoint look-up per succeeded event. */
  stagesOff?: boolean;
}

/**
 * Events of one status, ignore reason and summary currency, with the sum of their summary
 * `amount` (events without a numeric amount count in `events` but add nothing to `amount`).
 */
/** Whose summary each event is, read at once for a list (the alerts' payments). */
export type EventSummaries = Map<number, EventSummary>;

export interface EventTotal {
  status: EventStatus;
  /** The ignore reason's kind for ignored events, else null. */
  ignoreKind: IgnoreReason['kind'] | null;
  currency: string | null;
  /** Marked as handled since they last changed (markEventHandled): only dead events can be. */
  handled: boolean;
  /** Succeeded with a stage skipped by a flag; false unless EventTotalsOptions.stagesOff asked for it. */
  stagesOff: boolean;
  events: number;
  amount: number;
}

/** An operator says a dead event needs nothing more: who, when, why. */
export interface EventHandled {
  eventId: number;
  actor: string;
  reason: string;
  now: Date;
}

export type EventHandledResult = 'handled' | 'not_found' | 'not_dead';

export interface ListOptions {
  /** Opaque cursor from a previous page. */
  cursor?: string | null;
  /** (Default: 50, at most 500) */
  limit?: number;
}

export interface ClaimOptions {
  workerId: string;
  leaseMs: number;
  now: Date;
}

export interface StageStart {
  eventId: number;
  stage: string;
  leaseOwner: string;
  attempt: number;
  startedAt: Date;
  /** Written into the attempt history, e.g. 'recovered: stage was left processing'. */
  note?: string | null;
}

export type StageOutcome =
  { status: 'success'; data: JsonValue | null } | { status: 'error'; error: ErrorInfo } | { status: 'skipped'; skipReason: SkipReason };

export interface StageOutcomeWrite {
  eventId: number;
  stage: string;
  leaseOwner: string;
  outcome: StageOutcome;
  /** Attempt number for the history row; a skip that never started writes attempt 0. */
  attempt: number;
  startedAt: Date | null;
  completedAt: Date;
  note?: string | null;
  /** Summary fields set by the stage through `annotate()`, merged into the event summary. */
  summaryPatch?: EventSummary;
  /** Log lines the stage wrote, stored with the outcome in the same transaction. */
  logs?: EventLogEntry[];
  /** HTTP calls the attempt made (already redacted and capped), stored in the same transaction. */
  exchanges?: HttpExchange[];
}

export interface EventFinish {
  eventId: number;
  leaseOwner: string;
  status: Extract<EventStatus, 'succeeded' | 'retrying' | 'dead' | 'ignored' | 'queued'>;
  /** For 'retrying': when to try again. */
  nextAttemptAt?: Date | null;
  lastError?: ErrorInfo | null;
  ignoreReason?: IgnoreReason | null;
  pipeline?: string | null;
  now: Date;
  /**
   * Alert kinds about this event to resolve with the finish, in its transaction (a success
   * makes its `dead`, `retried` and `stuck` alerts moot): no commit of their own. (Default: none)
   */
  resolveAlerts?: readonly AlertKind[];
}

/**
 * One event's pending checkpoint writes under one lease, applied in this order in one
 * transaction: the outcomes (stages that ended, or were skipped, since the last write), then
 * the next stage's `processing` mark, then the event's finish. Fenced once, like each of them.
 */
export interface CheckpointWrite {
  eventId: number;
  leaseOwner: string;
  outcomes: StageOutcomeWrite[];
  start?: StageStart;
  finish?: EventFinish;
}

/** Each write's own result: a fenced or refused write fails alone, not its batch. */
export type CheckpointWriteResult = { ok: true; event: EventRecord | null } | { ok: false; error: Error };

export interface EntityTransition {
  entityKey: string;
  state: string;
  eventId: number;
  occurredAt: Date;
  /** Compare-and-set: the write happens only if the current state is this (null: no row yet). */
  expectedState: string | null;
  now: Date;
}

export interface FlagDefinition {
  key: string;
  description: string;
  /** Value used when the flag is first created. */
  defaultValue: boolean;
}

export interface SetFlagInput {
  key: string;
  value: boolean;
  actor: string;
  reason?: string | null;
  now: Date;
}

export interface NewAuditEntry {
  actor: string;
  action: string;
  target: string;
  details?: JsonObject | null;
  remoteAddress?: string | null;
  at: Date;
}

export interface NewApiToken {
  name: string;
  tokenHash: string;
  scopes: string[];
  createdBy: string;
  now: Date;
}

/** A one-time sign-in link (`webpig login-link`); only the sha256 of its token is stored. */
export interface LoginLinkRecord {
  id: number;
  tokenHash: string;
  email: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export type NewLoginLink = Omit<LoginLinkRecord, 'id' | 'usedAt'>;

export interface NewRejection {
  at: Date;
  source: string;
  httpStatus: number;
  reason: string;
  remoteAddress: string | null;
  firstBytes: string;
}

/** A time window: since <= at < until. */
export interface TimeWindow {
  since: Date;
  until: Date;
}

/** How many of something came to one source's address (a source name, or whatever address was asked). */
export interface SourceCount {
  source: string;
  count: number;
}

/**
 * Audit entries by who (exact), what (exact action), subject (the target exactly, or every target
 * under it when it ends with a colon: `flag:`) and when (since ≤ at < until).
 */
export interface AuditFilter {
  action?: string;
  actor?: string;
  target?: string;
  since?: Date;
  until?: Date;
}

/** Flag changes by who (exact) and when (since ≤ at < until). */
export interface FlagHistoryFilter {
  actor?: string;
  since?: Date;
  until?: Date;
}

export interface NewAlert {
  at: Date;
  kind: AlertKind;
  eventId?: number | null;
  stage?: string | null;
  /** What it is about; repeats of an open alert with the same kind and subject are one issue. (Default: alertSubject) */
  subject?: string;
  message: string;
  details?: JsonObject | null;
  /**
   * A repeat of an open issue: `count` adds an occurrence (a new oversold order), `refresh` only
   * updates its text and last seen (a condition seen again by the periodic check). (Default: count)
   */
  repeat?: 'count' | 'refresh';
}

/** The default subject: the event, else the stage, else the message itself. */
export function alertSubject(alert: Pick<NewAlert, 'eventId' | 'stage' | 'message' | 'subject'>): string {
  if (alert.subject) return alert.subject.slice(0, 200);
  if (alert.eventId !== undefined && alert.eventId !== null) return `event:${alert.eventId}`;
  if (alert.stage) return `stage:${alert.stage}`;
  return `text:${alert.message.slice(0, 200)}`;
}

export interface AlertMute {
  id: number;
  actor: string;
  reason: string;
  until: Date;
  now: Date;
}

export type AlertMuteResult = { status: 'muted' | 'resolved'; alert: AlertRecord } | { status: 'not_found' };

/** What a forwarded POST announces: the issue opened, or its cause is gone. */
export type AlertTransition = 'opened' | 'resolved';

export interface AlertAck {
  id: number;
  actor: string;
  reason: string;
  now: Date;
}

export type AlertAckResult = { status: 'acknowledged' | 'resolved' | 'already_acknowledged'; alert: AlertRecord } | { status: 'not_found' };

/** An alert claimed for forwarding to the configured alerts webhook. */
export interface AlertToForward extends AlertRecord {
  transition: AlertTransition;
  /** Tries of this transition so far, this claim included. */
  forwardAttempts: number;
}

export interface ClaimAlertsToForward {
  now: Date;
  /** Alerts recorded before this are never forwarded (a URL set today does not replay last year). */
  recordedSince: Date;
  /** Until then the claimed alerts are not claimable again (the claim's lease). */
  claimUntil: Date;
  limit: number;
}

/** One finished stage attempt, for metrics (success rate, p50/p95 duration). */
export interface AttemptSample {
  stage: string;
  status: CheckpointStatus;
  completedAt: Date;
  durationMs: number | null;
}

/** Statuses an operator acts on; their rows are few, so counting them is cheap at any size. */
export type ActiveStatus = Extract<EventStatus, 'queued' | 'processing' | 'retrying' | 'dead'>;

/** How much work is waiting, for /metrics: computed at scrape time from indexes only. */
export interface QueueStats {
  /** Events in each active status (0 when none). Succeeded and ignored: use countEvents. */
  byStatus: Record<ActiveStatus, number>;
  /** When the longest-waiting queued event became runnable (received or re-queued); null: none. */
  oldestQueuedAt: Date | null;
  /** The nearest automatic retry a retrying event waits for (may be past, if no worker took it yet); null: none retrying. */
  nextRetryAt: Date | null;
}
/**
 * What retention deletes, and nothing else: succeeded or ignored events (with their
 * checkpoints, attempts and logs) and rejected deliveries. Dead, retrying, queued and
 * processing events and the audit log have no kind here, so no caller can ask for them.
 */
export type PurgeKind = 'succeededEvents' | 'ignoredEvents' | 'rejectedDeliveries';
export const PURGE_KINDS: readonly PurgeKind[] = ['succeededEvents', 'ignoredEvents', 'rejectedDeliveries'];

// Reconciliation's state, resume point, coverage and run claims: reconciliation-types.ts.
export type * from './reconciliation-types.js';
