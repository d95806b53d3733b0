import { StoreError } from '../../core/errors.js';
import { currentHandledMark, handledField } from '../../core/handled.js';
import type {
  AttemptRecord,
  CheckpointRecord,
  CheckpointStatus,
  ErrorInfo,
  EventOrigin,
  EventRecord,
  EventStatus,
  EventSummary,
  IgnoreReason,
  JsonValue,
  SkipReason,
  TransactionStatus,
} from '../../core/types.js';
import { storableJson } from '../storable.js';

/**
 * Rows as SQLite returns them and their mapping to the records of src/core/types.ts.
 * Times are epoch milliseconds; JSON columns are TEXT written only by this store, so parsing
 * them back into their declared types is trusted.
 */

/** Epoch ms of a caller's Date; an Invalid Date is refused rather than stored as NULL. */
export function toMs(date: Date): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new StoreError('INVALID_ARGUMENT', `expected a valid Date, got ${String(date)}`);
  return ms;
}
export const toDate = (ms: number): Date => new Date(ms);
export const optionalDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** JSON text for a column, written as the PostgreSQL store writes it (storable.ts). */
export function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : storableJson(value);
}

export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/**
 * Columns of `events` that make an EventRecord (not the derived search/claim columns). The body
 * (raw_body, payload) is in `event_bodies`, written once: see migration 0005 and ARCHITECTURE.md.
 */
export const EVENT_COLUMNS = `id, source, provider_event_id, entity_key, type, transaction_status, occurred_at,
  received_at, content_type, summary, status, pipeline, attempts, manual_retries,
  next_attempt_at, lease_owner, lease_expires_at, last_error, ignore_reason, updated_at, origin,
  handled_at, handled_by, handled_reason`;

/**
 * FROM clause of a whole event: its row and its body. LEFT JOIN keeps `events` the outer loop
 * (list queries walk its indexes) and makes a missing body an error, not a missing event.
 * No column name is in both tables, so filters keep unqualified names.
 */
export const EVENTS_WITH_BODIES = 'events LEFT JOIN event_bodies ON event_bodies.event_id = events.id';
export const EVENT_RECORD_COLUMNS = `${EVENT_COLUMNS}, raw_body, payload`;

export interface EventRow {
  id: number;
  source: string;
  provider_event_id: string;
  entity_key: string | null;
  type: string;
  transaction_status: string | null;
  occurred_at: number;
  received_at: number;
  content_type: string | null;
  summary: string;
  status: string;
  pipeline: string | null;
  attempts: number;
  manual_retries: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  ignore_reason: string | null;
  updated_at: number;
  origin: string;
  /** Migration 0009: who marked the dead event as handled (absent on a row built in code). */
  handled_at?: number | null;
  handled_by?: string | null;
  handled_reason?: string | null;
}

/** An event's body as `event_bodies` holds it; null columns when the LEFT JOIN found none. */
export interface EventBodyRow {
  raw_body: Buffer | null;
  payload: string | null;
}

export function toEvent(row: EventRow & EventBodyRow): EventRecord {
  if (row.raw_body === null || row.payload === null) {
    throw new StoreError('EVENT_BODY_MISSING', `event ${row.id} has no row in event_bodies: the database was edited by hand or is damaged`);
  }
  return {
    id: row.id,
    source: row.source,
    providerEventId: row.provider_event_id,
    entityKey: row.entity_key,
    type: row.type,
    transactionStatus: row.transaction_status as TransactionStatus | null,
    occurredAt: toDate(row.occurred_at),
    receivedAt: toDate(row.received_at),
    rawBody: row.raw_body,
    contentType: row.content_type,
    payload: JSON.parse(row.payload) as JsonValue,
    summary: JSON.parse(row.summary) as EventSummary,
    status: row.status as EventStatus,
    pipeline: row.pipeline,
    attempts: row.attempts,
    manualRetries: row.manual_retries,
    nextAttemptAt: optionalDate(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: optionalDate(row.lease_expires_at),
    lastError: fromJson<ErrorInfo>(row.last_error),
    ignoreReason: fromJson<IgnoreReason>(row.ignore_reason),
    updatedAt: toDate(row.updated_at),
    origin: row.origin as EventOrigin,
    ...handledField(
      currentHandledMark(
        row.status as EventStatus,
        toDate(row.updated_at),
        optionalDate(row.handled_at ?? null),
        row.handled_by ?? null,
        row.handled_reason ?? null,
      ),
    ),
  };
}

export interface CheckpointRow {
  event_id: number;
  stage: string;
  status: string;
  attempts: number;
  started_at: number | null;
  completed_at: number | null;
  duration_ms: number | null;
  data: string | null;
  error: string | null;
  skip_reason: string | null;
  updated_at: number;
}

export interface AttemptRow {
  event_id: number;
  stage: string;
  attempt: number;
  status: string;
  started_at: number;
  completed_at: number | null;
  duration_ms: number | null;
  error: string | null;
  note: string | null;
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    attempt: row.attempt,
    status: row.status as CheckpointStatus,
    startedAt: toDate(row.started_at),
    completedAt: optionalDate(row.completed_at),
    durationMs: row.duration_ms,
    error: fromJson<ErrorInfo>(row.error),
    note: row.note,
  };
}

export function toCheckpoint(row: CheckpointRow, history: AttemptRecord[]): CheckpointRecord {
  return {
    eventId: row.event_id,
    stage: row.stage,
    status: row.status as CheckpointStatus,
    attempts: row.attempts,
    startedAt: optionalDate(row.started_at),
    completedAt: optionalDate(row.completed_at),
    durationMs: row.duration_ms,
    data: fromJson<JsonValue>(row.data),
    error: fromJson<ErrorInfo>(row.error),
    skipReason: fromJson<SkipReason>(row.skip_reason),
    history,
    updatedAt: toDate(row.updated_at),
  };
}
