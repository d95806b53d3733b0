/**
 * The JSON the dashboard receives, derived from the server's own reply schemas
 * (src/core/wire/), never copied: change a reply there and the page that reads it stops
 * compiling. Only types cross over (`import type`): the bundle holds none of the server's code.
 * Below the derivations, the few shapes that are the page's own (its filters, sign-in methods).
 */
import type { z } from 'zod';
import type * as bulk from '../../core/wire/bulk.js';
import type * as common from '../../core/wire/common.js';
import type * as events from '../../core/wire/events.js';
import type * as flags from '../../core/wire/flags.js';
import type * as monitoring from '../../core/wire/monitoring.js';
import type * as session from '../../core/wire/session.js';

/** A server value as JSON.parse gives it back: every Date arrives as its ISO-8601 string. */
export type Jsonify<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Jsonify<Item>[]
    : T extends object
      ? { [Key in keyof T]: Jsonify<T[Key]> }
      : T;

/** What a reply schema puts on the wire. */
export type Wire<Schema extends z.ZodType> = Jsonify<z.output<Schema>>;

export type EventStatus = Wire<typeof common.eventStatus>;
export type TransactionStatus = Wire<typeof common.transactionStatus>;
export type CheckpointStatus = Wire<typeof common.checkpointStatus>;
export type CellState = Wire<typeof events.cellState>;
export type JsonValue = Wire<typeof common.jsonValue>;
/** A label as the config defines it: one text, or texts by language (see labels.ts, columnLabel). */
export type StageLabel = Wire<typeof common.stageLabel>;
export type ErrorInfo = Wire<typeof common.errorInfo>;
export type SkipReason = Wire<typeof common.skipReason>;
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Me = Wire<typeof session.me>;
export type ColumnInfo = Wire<typeof session.columnInfo>;
export type PipelineInfo = Wire<typeof session.pipelineInfo>;
export type DashboardConfig = Wire<typeof session.dashboardConfig>;

export type EventSummary = Wire<typeof events.eventSummary>;
export type ProductSummary = NonNullable<EventSummary['product']>;
export type AttemptRecord = Wire<typeof events.attemptRecord>;
export type Checkpoint = Wire<typeof events.checkpoint>;
export type ColumnCell = Wire<typeof events.columnCell>;
export type EventRow = Wire<typeof events.eventRow>;
export type EventLogEntry = Wire<typeof events.eventLogEntry>;
export type HttpMessage = Wire<typeof events.httpMessage>;
export type StageExchange = Wire<typeof events.stageExchange>;
export type EventDetails = Wire<typeof events.eventDetails>;

export type FlagView = Wire<typeof flags.flagView>;
export type FlagChange = Wire<typeof flags.flagChange>;

export type AlertView = Wire<typeof monitoring.alertView>;
export type AuditEntryView = Wire<typeof monitoring.auditEntry>;
export type ReconciliationView = Wire<typeof monitoring.reconciliationView>;
export type RejectedDeliveryView = Wire<typeof monitoring.rejectedDelivery>;
export type RejectionsPage = Wire<typeof monitoring.rejections>;
export type StageMetrics = Wire<typeof monitoring.stageStat>;
export type Metrics = Wire<typeof monitoring.metrics>;

export type PlannedStage = Wire<typeof bulk.plannedStage>;
export type RunPlan = Wire<typeof bulk.runPlan>;
/** The filter of a bulk action, as the page sends it (the request's input side). */
export type BulkFilter = z.input<typeof bulk.bulkFilter>;
export type BulkRequest = z.input<typeof bulk.bulkSelection>;
export type BulkEventPlan = Wire<typeof bulk.bulkEventPlan>;
export type BulkPreview = Wire<typeof bulk.bulkPreview>;
export type BulkResult = Wire<typeof bulk.bulkResult>;

// The page's own values: the schemas' enums, as lists the filters offer (typed by the wire).
export const EVENT_STATUSES: readonly EventStatus[] = ['queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored'];
export const TRANSACTION_STATUSES = ['accepted', 'rejected', 'pending', 'reversed'] as const satisfies readonly TransactionStatus[];

/** The audit log's and the flag history's filters: who, what (action or flag), subject, when (dates, YYYY-MM-DD). */
export interface HistoryFilters {
  actor?: string;
  what?: string;
  subject?: string;
  since?: string;
  until?: string;
}

/** The filters of the events view, as sent to `GET /api/events`. */
/** The groups of statuses the home's figures link to (the list API takes a comma-separated list). */
export const STATUS_GROUPS = ['queued,processing', 'dead,retrying'] as const;
export type StatusFilter = EventStatus | (typeof STATUS_GROUPS)[number] | '';

export interface EventFilters {
  status: StatusFilter;
  transactionStatus: TransactionStatus | '';
  source: string;
  columnState: '' | 'error';
  /** A pipeline's name: its rows only, with its own columns. */
  pipeline: string;
  since: string;
  until: string;
  q: string;
  /** The payment's currency code (the home's money figures link with it). */
  currency: string;
  /** 'true': failed events marked as handled by hand; 'false': the others. */
  handled: '' | 'true' | 'false';
  /** 'true': events with a stage switched off by its flag; 'false': none switched off. */
  stagesOff: '' | 'true' | 'false';
  /** 'reconciliation': payments found at the provider whose webhooks never arrived; 'webhook': the others. */
  origin: '' | EventRow['origin'];
}

export const NO_FILTERS: EventFilters = {
  status: '',
  transactionStatus: '',
  source: '',
  columnState: '',
  pipeline: '',
  since: '',
  until: '',
  q: '',
  currency: '',
  handled: '',
  stagesOff: '',
  origin: '',
};

/** GET /auth/methods: the sign-in ways this server offers (readable without a session). */
export interface SignInMethods {
  oidc: boolean;
  devLogin: boolean;
  loginLink: boolean;
}
