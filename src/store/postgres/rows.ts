import { currentHandledMark, handledField } from '../../core/handled.js';
import type {
  ApiTokenRecord,
  AttemptRecord,
  AuditEntry,
  CheckpointRecord,
  CheckpointStatus,
  EntityState,
  ErrorInfo,
  EventLogEntry,
  EventOrigin,
  EventRecord,
  EventStatus,
  EventSummary,
  FlagChange,
  FlagRecord,
  IgnoreReason,
  JsonObject,
  JsonValue,
  LogLevel,
  RejectedDelivery,
  SessionRecord,
  SkipReason,
  TransactionStatus,
} from '../../core/types.js';
import { storableJson } from '../storable.js';

/*
 * Rows as node-postgres returns them (int8 already parsed to number by connection.ts,
 * timestamptz to Date, jsonb parsed) and their mapping to webpig's records.
 */

export interface EventRow {
  id: number;
  source: string;
  provider_event_id: string;
  entity_key: string | null;
  type: string;
  transaction_status: TransactionStatus | null;
  occurred_at: Date;
  received_at: Date;
  raw_body: Buffer;
  content_type: string | null;
  payload: JsonValue;
  summary: EventSummary;
  status: EventStatus;
  pipeline: string | null;
  attempts: number;
  manual_retries: number;
  next_attempt_at: Date | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_error: ErrorInfo | null;
  ignore_reason: IgnoreReason | null;
  updated_at: Date;
  origin: EventOrigin;
  /** Migration 0009: who marked the dead event as handled (absent on a row built in code). */
  handled_at?: Date | null;
  handled_by?: string | null;
  handled_reason?: string | null;
}

/**
 * The columns of an EventRow, for statements prepared once per connection (named): a `*` or
 * `(event).*` there would fail with "cached plan must not change result type" once a migration
 * adds a column to events under a running process; a fixed list keeps the result's shape.
 */
const EVENT_COLUMNS = [
  'id',
  'source',
  'provider_event_id',
  'entity_key',
  'type',
  'transaction_status',
  'occurred_at',
  'received_at',
  'raw_body',
  'content_type',
  'payload',
  'summary',
  'status',
  'pipeline',
  'attempts',
  'manual_retries',
  'next_attempt_at',
  'lease_owner',
  'lease_expires_at',
  'last_error',
  'ignore_reason',
  'updated_at',
  'origin',
  'handled_at',
  'handled_by',
  'handled_reason',
] as const satisfies ReadonlyArray<keyof EventRow>;

/** The EventRow's columns as a select list: `id, source, …`, or of a composite `(e).id, (e).source, …`. */
export function eventColumns(composite?: string): string {
  return EVENT_COLUMNS.map((column) => (composite ? `(${composite}).${column}` : column)).join(', ');
}

export function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    source: row.source,
    providerEventId: row.provider_event_id,
    entityKey: row.entity_key,
    type: row.type,
    transactionStatus: row.transaction_status,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    rawBody: row.raw_body,
    contentType: row.content_type,
    payload: row.payload,
    summary: row.summary ?? {},
    status: row.status,
    pipeline: row.pipeline,
    attempts: row.attempts,
    manualRetries: row.manual_retries,
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    lastError: row.last_error,
    ignoreReason: row.ignore_reason,
    origin: row.origin,
    updatedAt: row.updated_at,
    ...handledField(
      currentHandledMark(row.status, row.updated_at, row.handled_at ?? null, row.handled_by ?? null, row.handled_reason ?? null),
    ),
  };
}

export interface CheckpointRow {
  event_id: number;
  stage: string;
  status: CheckpointStatus;
  attempts: number;
  started_at: Date | null;
  completed_at: Date | null;
  duration_ms: number | null;
  data: JsonValue | null;
  error: ErrorInfo | null;
  skip_reason: SkipReason | null;
  updated_at: Date;
}

export interface AttemptRow {
  event_id: number;
  stage: string;
  attempt: number;
  status: CheckpointStatus;
  started_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
  error: ErrorInfo | null;
  note: string | null;
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    attempt: row.attempt,
    status: row.status,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    durationMs: row.duration_ms,
    error: row.error,
    note: row.note,
  };
}

export function toCheckpoint(row: CheckpointRow, history: AttemptRecord[]): CheckpointRecord {
  return {
    eventId: row.event_id,
    stage: row.stage,
    status: row.status,
    attempts: row.attempts,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    durationMs: row.duration_ms,
    data: row.data,
    error: row.error,
    skipReason: row.skip_reason,
    history,
    updatedAt: row.updated_at,
  };
}

export interface EventLogRow {
  at: Date;
  level: LogLevel;
  stage: string | null;
  attempt: number | null;
  message: string;
  fields: JsonObject | null;
}

export function toEventLog(row: EventLogRow): EventLogEntry {
  return { at: row.at, level: row.level, stage: row.stage, attempt: row.attempt, message: row.message, fields: row.fields };
}

export interface EntityStateRow {
  entity_key: string;
  state: string;
  event_id: number;
  occurred_at: Date;
  updated_at: Date;
}

export function toEntityState(row: EntityStateRow): EntityState {
  return {
    entityKey: row.entity_key,
    state: row.state,
    eventId: row.event_id,
    occurredAt: row.occurred_at,
    updatedAt: row.updated_at,
  };
}

export interface FlagRow {
  key: string;
  value: boolean;
  description: string;
  updated_at: Date;
  updated_by: string | null;
}

export function toFlag(row: FlagRow): FlagRecord {
  return {
    key: row.key,
    value: row.value,
    description: row.description,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export interface FlagChangeRow {
  id: number;
  key: string;
  old_value: boolean | null;
  new_value: boolean;
  actor: string;
  reason: string | null;
  at: Date;
}

export function toFlagChange(row: FlagChangeRow): FlagChange {
  return {
    id: row.id,
    key: row.key,
    oldValue: row.old_value,
    newValue: row.new_value,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
  };
}

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  details: JsonObject | null;
  remote_address: string | null;
}

export function toAudit(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details,
    remoteAddress: row.remote_address,
  };
}

export interface ApiTokenRow {
  id: number;
  name: string;
  token_hash: string;
  scopes: string[];
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export function toApiToken(row: ApiTokenRow): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    tokenHash: row.token_hash,
    scopes: row.scopes,
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export interface SessionRow {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
}

export function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export interface RejectionRow {
  id: number;
  at: Date;
  source: string;
  http_status: number;
  reason: string;
  remote_address: string | null;
  first_bytes: string;
}

export function toRejection(row: RejectionRow): RejectedDelivery {
  return {
    id: row.id,
    at: row.at,
    source: row.source,
    httpStatus: row.http_status,
    reason: row.reason,
    remoteAddress: row.remote_address,
    firstBytes: row.first_bytes,
  };
}

/**
 * A JSON value as a jsonb parameter. Always stringified: pg would send a JS array as a SQL
 * array. U+0000 and unpaired surrogates, which jsonb refuses, become U+FFFD (storable.ts).
 */
export function jsonParam(value: JsonValue | object | null | undefined): string | null {
  return value === null || value === undefined ? null : storableJson(value);
}
