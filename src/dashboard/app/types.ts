/**
 * The JSON the dashboard receives, as docs/api.md describes it. These mirror the records of
 * src/core/types.ts with Dates as ISO strings; the page is compiled apart from the server.
 */

export type EventStatus = 'queued' | 'processing' | 'succeeded' | 'retrying' | 'dead' | 'ignored';
export const EVENT_STATUSES: readonly EventStatus[] = ['queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored'];
export const TRANSACTION_STATUSES = ['accepted', 'rejected', 'pending', 'reversed'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];
export type CheckpointStatus = 'pending' | 'processing' | 'success' | 'error' | 'skipped';
export type CellState = 'success' | 'error' | 'processing' | 'skipped' | 'not_run' | 'not_applicable';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Me {
  email: string;
  name: string | null;
  roles: string[];
  scopes: string[];
  kind: 'session' | 'token' | 'dev';
  csrfToken: string | null;
}

export interface ColumnInfo {
  key: string;
  /** One text, or texts by language, as the config defines it (see labels.ts, columnLabel). */
  label: StageLabel;
  stages: string[];
}

/** A stage's label as the pipeline defines it: one text, or texts by language. */
export type StageLabel = string | { es?: string; en?: string };

export interface PipelineInfo {
  name: string;
  /** What people read instead of the name (older servers send none). */
  label?: StageLabel | null;
  /** Keys of the columns this pipeline's stages use, in the configured order. */
  columns: string[];
  stages: Array<{
    name: string;
    label: StageLabel | null;
    column: string | null;
    /** Stages it waits for (older servers send none). */
    dependsOn?: string[];
    /** Attempts its retry policy allows (older servers send none). */
    maxAttempts?: number;
    /** The flag that turns the stage off (servers before bulk actions do not send it). */
    flag?: string | null;
  }>;
}

export interface DashboardConfig {
  columns: ColumnInfo[];
  pipelines: PipelineInfo[];
  locale: string;
  timeZone: string;
  currency: string;
  devLogin: boolean;
}

/** Prices in the currency's major unit, like amount. */
export interface ProductSummary {
  name?: string;
  id?: string;
  category?: string;
  price?: number;
}

export interface EventSummary {
  customer?: { name?: string; documentId?: string; email?: string; phone?: string };
  product?: ProductSummary;
  amount?: number;
  currency?: string;
  references?: Record<string, string>;
}

export interface ErrorInfo {
  message: string;
  code?: string;
  retriable: boolean;
  httpStatus?: number;
}

export type SkipReason =
  | { kind: 'flag'; flag: string; value: boolean }
  | { kind: 'dependency'; stage: string; status: CheckpointStatus }
  | { kind: 'condition'; detail: string };

export interface AttemptRecord {
  attempt: number;
  status: CheckpointStatus;
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  error: ErrorInfo | null;
  note: string | null;
}

export interface Checkpoint {
  eventId: number;
  stage: string;
  status: CheckpointStatus;
  attempts: number;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  data: JsonValue | null;
  error: ErrorInfo | null;
  skipReason: SkipReason | null;
  history: AttemptRecord[];
  updatedAt: string;
}

export interface ColumnCell {
  state: CellState;
  stages: string[];
}

export interface EventRow {
  id: number;
  source: string;
  providerEventId: string;
  entityKey: string | null;
  type: string;
  transactionStatus: TransactionStatus | null;
  occurredAt: string;
  receivedAt: string;
  status: EventStatus;
  pipeline: string | null;
  attempts: number;
  manualRetries: number;
  nextAttemptAt: string | null;
  lastError: ErrorInfo | null;
  ignoreReason: { kind: string; detail: string } | null;
  /** Where (a stage, with or without a column, or null) and why the event failed. */
  failure: { stage: string | null; error: ErrorInfo } | null;
  summary: EventSummary;
  /** 'reconciliation': the webhook never arrived; webpig found it in the provider's records. */
  origin?: 'webhook' | 'reconciliation';
  columns: Record<string, ColumnCell>;
  checkpoints: Checkpoint[];
}

/** GET /api/reconciliation: one reconciled source. */
export interface ReconciliationView {
  source: string;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastListed: number;
  lastRecovered: number;
  totalRecovered: number;
  interrupted: boolean;
  lastError: string | null;
}

export interface EventLogEntry {
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  stage: string | null;
  /** The stage attempt that wrote it (null: the engine's own line). */
  attempt?: number | null;
  message: string;
  fields: Record<string, JsonValue> | null;
}

/** One side of an HTTP call a stage made; secrets already redacted by the server. */
export interface HttpMessage {
  headers: Record<string, string>;
  body: string | null;
  bodyTruncated: boolean;
}

/** An HTTP call a stage attempt made (ctx.http), as GET /api/events/:id returns it. */
export interface StageExchange {
  stage: string;
  attempt: number;
  at: string;
  request: HttpMessage & { method: string; url: string };
  response: (HttpMessage & { status: number }) | null;
  error: string | null;
  durationMs: number | null;
}

export interface EventDetails {
  event: EventRow;
  logs: EventLogEntry[];
  /** Older servers send none. */
  exchanges?: StageExchange[];
  raw: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface FlagView {
  key: string;
  value: boolean;
  description: string;
  updatedAt: string;
  updatedBy: string | null;
  canChange: boolean;
  reason: string | null;
  /** Who may change it: roles, e-mails, token:<name>. */
  allowed: string[];
}

export interface FlagChange {
  id: number;
  key: string;
  oldValue: boolean | null;
  newValue: boolean;
  actor: string;
  reason: string | null;
  at: string;
}

export interface AlertView {
  /** Stored alerts have an id; alerts computed on the fly (dead, retried, stuck) do not. */
  id?: number;
  at: string;
  kind: string;
  eventId: number | null;
  stage: string | null;
  message: string;
  details: Record<string, JsonValue> | null;
  resolvedAt: string | null;
  acknowledgedAt?: string | null;
  acknowledgedBy?: string | null;
  ackReason?: string | null;
  /** Derived from the events now (negative id, not stored): cannot be acknowledged. */
  computed?: boolean;
  /** What it is about (`event:79`, `stage:dian`, `sku:MUG`, `queue`); one open alert per kind and subject. */
  subject?: string;
  /** How many times it happened while open; `at` is the first time, `lastSeenAt` the latest. */
  occurrences?: number;
  lastSeenAt?: string;
  mutedAt?: string | null;
  mutedUntil?: string | null;
  mutedBy?: string | null;
  muteReason?: string | null;
}

export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, JsonValue> | null;
}

/** The audit log's and the flag history's filters: who, what (action or flag), subject, when (dates, YYYY-MM-DD). */
export interface HistoryFilters {
  actor?: string;
  what?: string;
  subject?: string;
  since?: string;
  until?: string;
}

export interface StageMetrics {
  stage: string;
  total: number;
  success: number;
  error: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface Metrics {
  stages: StageMetrics[];
  throughput: { at: string; received: number; succeeded: number; failed: number }[];
}

/** The filters of the events view, as sent to `GET /api/events`. */
export interface EventFilters {
  status: EventStatus | '';
  transactionStatus: TransactionStatus | '';
  source: string;
  columnState: '' | 'error';
  /** A pipeline's name: its rows only, with its own columns. */
  pipeline: string;
  since: string;
  until: string;
  q: string;
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
};

/** GET /auth/methods: the sign-in ways this server offers (readable without a session). */
export interface SignInMethods {
  oidc: boolean;
  devLogin: boolean;
  loginLink: boolean;
}

/** What a retry or re-run will do to one stage (docs/api.md, RunPlan). */
export interface PlannedStage {
  stage: string;
  action: 'run' | 'skip' | 'done';
  current: CheckpointStatus;
  cause?: 'requested' | 'follows' | 'not_done';
  skipReason?: SkipReason;
  conditional?: boolean;
}

export interface RunPlan {
  stages: PlannedStage[];
  reset: string[];
  runCount: number;
}

/** The filter of a bulk action, as POST /api/bulk/preview takes it. */
export interface BulkFilter {
  status?: EventStatus[];
  source?: string;
  pipeline?: string;
  stage?: string;
  code?: string;
  since?: string;
  until?: string;
}

export interface BulkRequest {
  filter: BulkFilter;
  rerun?: string | null;
}

export interface BulkEventPlan {
  eventId: number;
  status: EventStatus;
  source: string;
  pipeline: string | null;
  receivedAt: string;
  customer: string | null;
  amount: number | null;
  currency: string | null;
  failedStage: string | null;
  errorCode: string | null;
  plan: RunPlan;
}

export interface BulkPreview {
  mode: 'retry' | 'rerun';
  rerun: string | null;
  count: number;
  stagesToRun: number;
  events: BulkEventPlan[];
  excluded: { reason: 'already_succeeded' | 'in_queue' | 'stage_not_in_pipeline'; count: number }[];
}

export interface BulkResult {
  mode: 'retry' | 'rerun';
  queued: { eventId: number; stages: string[] }[];
  refused: { eventId: number; code: string; message: string }[];
}
