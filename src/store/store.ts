import type {
  AlertKind,
  AlertRecord,
  ApiTokenRecord,
  AuditEntry,
  CheckpointRecord,
  EntityState,
  EventLogEntry,
  EventRecord,
  FlagChange,
  FlagRecord,
  Page,
  RejectedDelivery,
  SessionRecord,
  StageExchange,
} from '../core/types.js';
import type {
  NewEvent,
  InsertEventResult,
  StoredDelivery,
  EventFilter,
  EventTotal,
  EventTotalsOptions,
  EventSummaries,
  SourceCount,
  TimeWindow,
  EventHandled,
  EventHandledResult,
  ListOptions,
  ClaimOptions,
  StageStart,
  StageOutcomeWrite,
  EventFinish,
  CheckpointWrite,
  CheckpointWriteResult,
  EntityTransition,
  FlagDefinition,
  SetFlagInput,
  NewAuditEntry,
  NewApiToken,
  LoginLinkRecord,
  NewLoginLink,
  NewRejection,
  AuditFilter,
  FlagHistoryFilter,
  NewAlert,
  AlertMute,
  AlertMuteResult,
  AlertTransition,
  AlertAck,
  AlertAckResult,
  AlertToForward,
  ClaimAlertsToForward,
  AttemptSample,
  QueueStats,
  PurgeKind,
  ReconciliationState,
  ReconciliationResume,
  ReconciliationEnd,
  ReconciliationClaim,
  ReconciliationClaimResult,
} from './store-types.js';

export * from './store-types.js';

/** Called when events become claimable (a new insert, a retry): lets idle workers wake up. */
export type WakeListener = () => void;

/**
 * Everything webpig persists goes through this interface. It is named by what each call
 * does (`claimNextEvent`, `recordStageOutcome`), not by SQL; the two implementations
 * (`sqlite/`, `postgres/`) pass one shared contract suite (test/store/contract.ts).
 *
 * Times are passed in by the caller (`now`) wherever they decide something, so tests and
 * workers on several machines agree on what "expired" means without hidden clocks.
 *
 * Text and JSON are stored with U+0000 and unpaired surrogates replaced by U+FFFD, which
 * PostgreSQL cannot hold (storable.ts); an event's raw body keeps its exact bytes.
 */
export interface Store {
  /** 'sqlite' or 'postgres': what the store is, for messages and dialect-specific tests. */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Group-commit transactions worth having in flight at once from one process (ingestion's
   * batches, a worker's checkpoint batches). PostgreSQL: 4, so a batch's round trips overlap
   * the next one's, well under the pool's connections (bench/peers.ts, bench/README.md).
   * SQLite: 1 — one writer, and a batch waiting for its WAL fsync holds the next, which then
   * carries the writes that fsync releases (src/engine/checkpoint-writer.ts).
   */
  readonly writeBatchesInFlight: number;

  /** Applies pending migrations; refuses a database newer than this code (MigrationError). */
  migrate(): Promise<{ applied: string[]; current: number }>;
  /** The newest migration applied; 0 for a database webpig never migrated. Creates nothing. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
  /**
   * Resolves when the database answers within `timeoutMs` (SQLite: the write lock can be
   * taken and a write made, then rolled back; PostgreSQL: the events table can be read), else
   * throws a StoreError with code DATABASE_UNAVAILABLE (SQLite: DATABASE_READ_ONLY for a file
   * it may not write). For `/readyz` and the commands that write before they start; never
   * blocks the event loop for longer than a query.
   */
  ping(timeoutMs: number): Promise<void>;
  /**
   * Resolves when this connection may write (SQLite: a write made and rolled back, waiting up
   * to the busy timeout for the lock; PostgreSQL: the session is not read-only), else throws
   * a StoreError with code DATABASE_READ_ONLY. For the commands that write, before they start.
   */
  assertWritable(): Promise<void>;
  /** Events waiting, running, retrying and dead, and the oldest queued one (see QueueStats). */
  queueStats(): Promise<QueueStats>;

  // ── Inbox ────────────────────────────────────────────────────────────────────────────
  /** Stores the event durably, or returns the existing one for (source, providerEventId). */
  insertEvent(event: NewEvent): Promise<InsertEventResult>;
  /**
   * Stores many deliveries in one transaction (group commit). Results are in input order;
   * a delivery repeated inside the batch is stored once and reported as a duplicate after
   * its first occurrence.
   */
  insertEvents(events: NewEvent[]): Promise<InsertEventResult[]>;
  /**
   * insertEvents for ingestion: the same writes, durability, order and duplicates, and a batch
   * of one takes the single-delivery path; each result is only the event's id and whether it
   * was a duplicate. The webhook reply needs no more, and building every stored record (a copy
   * of its body, its payload parsed back) was ~10 % of SQLite's insert path, ~4 % of a delivery's
   * CPU (bench/README.md, "Ingestion (issue 11, stop 23)").
   */
  storeDeliveries(events: NewEvent[]): Promise<StoredDelivery[]>;
  getEvent(id: number): Promise<EventRecord | null>;
  findEventByProviderId(source: string, providerEventId: string): Promise<EventRecord | null>;
  listEvents(filter: EventFilter, options?: ListOptions): Promise<Page<EventRecord>>;
  countEvents(filter: EventFilter): Promise<number>;
  /** Counts and money of the matching events, grouped (see EventTotal); for the home page. */
  eventTotals(filter: EventFilter, options?: EventTotalsOptions): Promise<EventTotal[]>;
  /** How many matching events each source has, in one query; sources with none are left out. */
  countEventsBySource(filter: EventFilter): Promise<SourceCount[]>;
  /**
   * The sources that have stored events, by name in order: the events filter also accepts a source
   * removed from the config that still has some. Read by the (source, id) index, one seek per name.
   */
  listEventSources(): Promise<string[]>;
  /** The summaries of these events, in one query; ids with no event (purged) are left out. */
  getEventSummaries(eventIds: readonly number[]): Promise<EventSummaries>;
  /**
   * Marks a dead event as handled (who, when, why) and writes that to its logs, in one
   * transaction; 'not_dead' and 'not_found' change nothing. The caller checks scopes and audits.
   */
  markEventHandled(handled: EventHandled): Promise<EventHandledResult>;

  // ── Claims and leases ────────────────────────────────────────────────────────────────
  /**
   * Claims the next runnable event and leases it to `workerId` until now + leaseMs.
   * Runnable: queued or retrying with nextAttemptAt <= now, or processing with an expired
   * lease. Per entity key, only the earliest unfinished event (by occurredAt, receivedAt, id)
   * may be claimed and never while another event of that key holds a live lease.
   * Increments `attempts`. Returns null when nothing is runnable. A `leaseMs` that is not a
   * positive whole number is refused (StoreError INVALID_ARGUMENT), here and in `renewLease`.
   */
  claimNextEvent(options: ClaimOptions): Promise<EventRecord | null>;
  /** Up to `limit` claims in one transaction (one commit), by the same rules, each its own lease owner. */
  claimNextEvents(options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] }): Promise<EventRecord[]>;
  /** Extends the lease; false if the worker no longer holds it (it must stop writing). */
  renewLease(eventId: number, workerId: string, leaseMs: number, now: Date): Promise<boolean>;
  /** Gives the event back without finishing it (shutdown): it is runnable again at once. */
  releaseLease(eventId: number, workerId: string, now: Date): Promise<void>;
  /** Moves a held event to its next status and drops the lease. Throws LeaseLostError. */
  finishEvent(finish: EventFinish): Promise<EventRecord>;
  /**
   * Operator retry: a dead, retrying or ignored event goes back to queued with
   * nextAttemptAt = now and no lease (whatever its row held), counting a manual retry. Returns
   * null when the event does not exist; throws a StoreError with code 'NOT_RETRIABLE' for
   * other statuses.
   */
  requeueEvent(eventId: number, now: Date): Promise<EventRecord | null>;
  /** Earliest nextAttemptAt among retrying/queued events, to know how long a worker may sleep. */
  nextWakeAt(): Promise<Date | null>;
  /** Subscribes to "work may be available" signals (PostgreSQL: LISTEN/NOTIFY). */
  onWake(listener: WakeListener): () => void;

  // ── Checkpoints ──────────────────────────────────────────────────────────────────────
  /** Durably marks the stage `processing` (attempt, start time) before it runs. Fenced by lease. */
  recordStageStart(start: StageStart): Promise<void>;
  /** Writes the stage's outcome, its attempt history row, summary patch and logs, atomically. */
  recordStageOutcome(write: StageOutcomeWrite): Promise<void>;
  /**
   * Several events' checkpoint writes in ONE durable transaction (a group commit). Each write
   * is applied whole or not at all: one whose lease is lost (LeaseLostError) or that the
   * database refuses is rolled back alone and reported in its result; the others commit. The
   * promise rejects only when the transaction itself fails, and then nothing was written.
   * `event` is the finished event for a write with `finish`, else null.
   */
  writeCheckpoints(writes: CheckpointWrite[]): Promise<CheckpointWriteResult[]>;
  getCheckpoints(eventId: number): Promise<CheckpointRecord[]>;
  /** Checkpoints of many events at once, for list views (no N+1). */
  getCheckpointsForEvents(eventIds: number[]): Promise<Map<number, CheckpointRecord[]>>;
  /**
   * Deliberate re-run of one stage, or of several at once (a stage and the stages it had
   * blocked: one transaction, so no worker can run the event with only some of them reset):
   * their checkpoints go back to `pending` (history kept) and the event back to queued.
   * Refused with EVENT_BUSY, changing nothing, while a worker holds a live lease on the event
   * (checked atomically with the reset). The caller checks permissions and audits.
   */
  resetStage(eventId: number, stages: string | readonly string[], now: Date): Promise<void>;
  getEventLogs(eventId: number): Promise<EventLogEntry[]>;
  /** The HTTP calls every attempt of the event's stages recorded, oldest first. */
  getStageExchanges(eventId: number): Promise<StageExchange[]>;
  appendEventLogs(eventId: number, logs: EventLogEntry[]): Promise<void>;
  attemptSamples(since: Date, limit?: number): Promise<AttemptSample[]>;

  // ── Entity state ─────────────────────────────────────────────────────────────────────
  getEntityState(entityKey: string): Promise<EntityState | null>;
  /** Compare-and-set; returns false (and writes nothing) if the current state differs. */
  setEntityState(transition: EntityTransition): Promise<boolean>;

  // ── Flags ────────────────────────────────────────────────────────────────────────────
  /** Creates flags that do not exist yet; existing values are left alone. */
  ensureFlags(definitions: FlagDefinition[], now: Date): Promise<void>;
  listFlags(): Promise<FlagRecord[]>;
  getFlag(key: string): Promise<FlagRecord | null>;
  /** Changes a flag and appends its history in one transaction. Throws code 'FLAG_UNKNOWN'. */
  setFlag(input: SetFlagInput): Promise<{ flag: FlagRecord; change: FlagChange }>;
  flagHistory(key: string | null, options?: ListOptions & FlagHistoryFilter): Promise<Page<FlagChange>>;

  // ── Audit, tokens, sessions ──────────────────────────────────────────────────────────
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(filter: AuditFilter, options?: ListOptions): Promise<Page<AuditEntry>>;
  createApiToken(token: NewApiToken): Promise<ApiTokenRecord>;
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Returns false if no active token has this id. */
  revokeApiToken(id: number, now: Date): Promise<boolean>;
  touchApiToken(id: number, now: Date): Promise<void>;
  createSession(session: SessionRecord): Promise<void>;
  getSession(id: string, now: Date): Promise<SessionRecord | null>;
  deleteSession(id: string): Promise<void>;
  createLoginLink(link: NewLoginLink): Promise<LoginLinkRecord>;
  /** The link with this token hash, used or not, expired or not (null when there is none). */
  findLoginLink(tokenHash: string): Promise<LoginLinkRecord | null>;
  /**
   * Marks the link used and returns it, in one statement, only if it is unused and unexpired
   * at `now`; otherwise null. Two simultaneous uses: exactly one gets the link.
   */
  useLoginLink(tokenHash: string, now: Date): Promise<LoginLinkRecord | null>;

  // ── Rejections and alerts ────────────────────────────────────────────────────────────
  /** Appends to the bounded log of rejected deliveries, trimming it to `keep` rows. */
  recordRejection(rejection: NewRejection, keep?: number): Promise<void>;
  /** Newest first; `beforeId` pages on (those older than it). */
  listRejections(limit?: number, beforeId?: number | null): Promise<RejectedDelivery[]>;
  /** How many of the log's rejected deliveries came in the window, per address they were sent to: counted, not read. */
  countRejections(window: TimeWindow): Promise<SourceCount[]>;
  recordAlert(alert: NewAlert): Promise<AlertRecord>;
  listAlerts(options?: ListOptions & { unresolvedOnly?: boolean }): Promise<Page<AlertRecord>>;
  resolveAlert(id: number, now: Date): Promise<boolean>;
  /**
   * Resolves the open issue of this kind and subject, if any (its cause is gone: a source's
   * failed reconciliation once a later run completes). True when one was open.
   */
  resolveAlertBySubject(kind: AlertKind, subject: string, now: Date): Promise<boolean>;
  /**
   * Resolves the event's open alerts of these kinds (its cause is gone: the event succeeded).
   * Returns how many were resolved; already resolved ones keep their first `resolvedAt`.
   */
  resolveAlertsForEvent(eventId: number, kinds: readonly AlertKind[], now: Date): Promise<number>;
  /** Marks an open, unacknowledged alert as acknowledged; otherwise says why it could not. */
  acknowledgeAlert(ack: AlertAck): Promise<AlertAckResult>;
  /** Mutes an open alert until `until` (again: the newest mute replaces the last). */
  muteAlert(mute: AlertMute): Promise<AlertMuteResult>;
  /** The open alerts of these kinds (for the periodic check that resolves what is gone). */
  listOpenAlerts(kinds: readonly AlertKind[], limit?: number): Promise<AlertRecord[]>;
  /**
   * Claims alert transitions due now, oldest first: an opening not yet forwarded (unless muted,
   * or resolved while muted), then a resolution whose opening was forwarded. Pushes each one's
   * next try to `claimUntil`: concurrent forwarders never get the same one while the claim lasts.
   */
  claimAlertsToForward(options: ClaimAlertsToForward): Promise<AlertToForward[]>;
  /** The transition reached the webhook: it is never claimed again. (Default transition: opened) */
  markAlertForwarded(id: number, at: Date, transition?: AlertTransition): Promise<void>;
  /** The webhook refused or failed: try again at `nextAt`, keeping the error for operators. */
  markAlertForwardFailed(id: number, failure: { nextAt: Date; error: string; transition?: AlertTransition }): Promise<void>;

  // ── Reconciliation ───────────────────────────────────────────────────────────────────
  getReconciliationState(source: string): Promise<ReconciliationState | null>;
  /** Every source that was ever reconciled or had its API recorded, by name. */
  listReconciliationStates(): Promise<ReconciliationState[]>;
  /** A run takes the source for itself until `leaseUntil`, unless another run holds it (then: which). */
  claimReconciliationRun(claim: ReconciliationClaim): Promise<ReconciliationClaimResult>;
  /** Extends the run's claim; false if `owner` no longer holds it (the run must stop). */
  renewReconciliationRun(source: string, owner: string, leaseUntil: Date): Promise<boolean>;
  /** The run ended: another may start at once. Nothing if `owner` no longer holds it. */
  releaseReconciliationRun(source: string, owner: string): Promise<void>;
  /*
   * The three records below are fenced by the run's claim, in the same statement: written only
   * while `owner` holds the source (or, without one, while no run holds it). They return false,
   * writing nothing, when refused: a run that stalled past its lease and lost the source to
   * another must stop, not write over that run's record.
   */
  /** A run began: its start time, and where it resumes from (its window, first page). */
  recordReconciliationStart(source: string, now: Date, resume: ReconciliationResume, owner?: string): Promise<boolean>;
  /** A page was handled: a run stopped after this resumes from `resume`; adds the page's `recovered` to the total. */
  recordReconciliationProgress(source: string, resume: ReconciliationResume, recovered: number, owner?: string): Promise<boolean>;
  /**
   * A run ended. Without error: finished (resume point cleared, last counts set). With one:
   * the error is kept and the resume point stays. The total was counted by progress already.
   */
  recordReconciliationEnd(end: ReconciliationEnd, owner?: string): Promise<boolean>;
  /** Where the source's provider API is (never a credential), for `webpig reconcile --db`. */
  recordProviderApi(source: string, apiBaseUrl: string): Promise<void>;

  // ── Retention ────────────────────────────────────────────────────────────────────────
  /** How many rows of `kind` are older than `before` (events: last changed; deliveries: refused at). */
  countPurgeable(kind: PurgeKind, before: Date): Promise<number>;
  /**
   * Deletes up to `limit` of those rows, oldest first, in one short transaction (an event's
   * checkpoints, attempts and logs go with it). Returns how many rows of `kind` it deleted.
   */
  purgeBatch(kind: PurgeKind, before: Date, limit: number): Promise<number>;
}
