import type {
  StageExchange,
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
} from '../../core/types.js';
import type {
  AlertAck,
  AlertAckResult,
  AlertMute,
  AlertMuteResult,
  AlertTransition,
  AuditFilter,
  FlagHistoryFilter,
  AlertToForward,
  AttemptSample,
  ClaimAlertsToForward,
  ClaimOptions,
  EntityTransition,
  EventFilter,
  EventHandled,
  EventHandledResult,
  EventTotal,
  EventFinish,
  FlagDefinition,
  InsertEventResult,
  ListOptions,
  LoginLinkRecord,
  NewAlert,
  NewApiToken,
  NewAuditEntry,
  NewEvent,
  NewLoginLink,
  NewRejection,
  ReconciliationEnd,
  ReconciliationResume,
  ReconciliationState,
  QueueStats,
  PurgeKind,
  SetFlagInput,
  StageOutcomeWrite,
  StageStart,
  CheckpointWrite,
  CheckpointWriteResult,
  Store,
  WakeListener,
} from '../store.js';
import * as access from './tokens-sessions.js';
import * as audit from './audit.js';
import * as entityState from './entity-state.js';
import * as rejections from './rejections.js';
import * as alerts from './alert-issues.js';
import * as outbox from './alert-outbox.js';
import * as checkpoints from './checkpoints.js';
import { writeCheckpoints } from './checkpoint-batch.js';
import * as claims from './claims.js';
import { BUSY_TIMEOUT_MS, openSqliteDatabase, SqliteContext, sqliteFilename } from './connection.js';
import * as events from './events.js';
import * as exchanges from './exchanges.js';
import * as flags from './flags.js';
import * as loginLinks from './login-links.js';
import * as health from './health.js';
import * as home from './home.js';
import { appliedVersion, migrateSqlite } from './migrate.js';
import * as reconciliation from './reconciliation.js';
import * as retention from './retention.js';

export interface SqliteOpenOptions {
  /** How often the WAL is checked and checkpointed when idle or low on space (wal.ts); 0 turns it off. (Default: 1000 ms) */
  checkpointIntervalMs?: number;
}

/**
 * The embedded Store: one SQLite file (WAL) shared by the server and workers of one machine.
 * better-sqlite3 is synchronous, so every call runs to completion before the next starts in
 * this process; other processes are kept apart by BEGIN IMMEDIATE write transactions.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;

  private constructor(private readonly ctx: SqliteContext) {}

  /** Opens `sqlite:./path.db`, `sqlite:/abs/path.db` or `sqlite::memory:` (not migrated yet). */
  static open(url: string, options: SqliteOpenOptions = {}): SqliteStore {
    return new SqliteStore(new SqliteContext(openSqliteDatabase(sqliteFilename(url)), { intervalMs: options.checkpointIntervalMs }));
  }

  /** The connection itself, for tests and diagnostics; all writes belong in this module. */
  get database(): SqliteContext['db'] {
    return this.ctx.db;
  }

  async migrate(): Promise<{ applied: string[]; current: number }> {
    return migrateSqlite(this.ctx);
  }

  async schemaVersion(): Promise<number> {
    return appliedVersion(this.ctx);
  }

  async close(): Promise<void> {
    this.ctx.close();
  }

  ping(timeoutMs: number): Promise<void> {
    return health.ping(this.ctx, timeoutMs, BUSY_TIMEOUT_MS);
  }

  async queueStats(): Promise<QueueStats> {
    return health.queueStats(this.ctx);
  }

  // ── Inbox ──────────────────────────────────────────────────────────────────────────
  async insertEvent(event: NewEvent): Promise<InsertEventResult> {
    return events.insertEvent(this.ctx, event);
  }

  async insertEvents(batch: NewEvent[]): Promise<InsertEventResult[]> {
    return events.insertEvents(this.ctx, batch);
  }

  async getEvent(id: number): Promise<EventRecord | null> {
    return events.getEvent(this.ctx, id);
  }

  async findEventByProviderId(source: string, providerEventId: string): Promise<EventRecord | null> {
    return events.findEventByProviderId(this.ctx, source, providerEventId);
  }

  async listEvents(filter: EventFilter, options?: ListOptions): Promise<Page<EventRecord>> {
    return events.listEvents(this.ctx, filter, options);
  }

  async countEvents(filter: EventFilter): Promise<number> {
    return events.countEvents(this.ctx, filter);
  }

  async eventTotals(filter: EventFilter): Promise<EventTotal[]> {
    return home.eventTotals(this.ctx, filter);
  }

  async markEventHandled(handled: EventHandled): Promise<EventHandledResult> {
    return home.markEventHandled(this.ctx, handled);
  }

  // ── Claims and leases ──────────────────────────────────────────────────────────────
  async claimNextEvent(options: ClaimOptions): Promise<EventRecord | null> {
    return claims.claimNextEvent(this.ctx, options);
  }

  async claimNextEvents(options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] }): Promise<EventRecord[]> {
    return claims.claimNextEvents(this.ctx, options);
  }

  async renewLease(eventId: number, workerId: string, leaseMs: number, now: Date): Promise<boolean> {
    return claims.renewLease(this.ctx, eventId, workerId, leaseMs, now);
  }

  async releaseLease(eventId: number, workerId: string, now: Date): Promise<void> {
    claims.releaseLease(this.ctx, eventId, workerId, now);
  }

  async finishEvent(finish: EventFinish): Promise<EventRecord> {
    return claims.finishEvent(this.ctx, finish);
  }

  async requeueEvent(eventId: number, now: Date): Promise<EventRecord | null> {
    return claims.requeueEvent(this.ctx, eventId, now);
  }

  async nextWakeAt(): Promise<Date | null> {
    return claims.nextWakeAt(this.ctx);
  }

  onWake(listener: WakeListener): () => void {
    return this.ctx.onWake(listener);
  }

  // ── Checkpoints ────────────────────────────────────────────────────────────────────
  async writeCheckpoints(writes: CheckpointWrite[]): Promise<CheckpointWriteResult[]> {
    return writeCheckpoints(this.ctx, writes);
  }

  async recordStageStart(start: StageStart): Promise<void> {
    checkpoints.recordStageStart(this.ctx, start);
  }

  async recordStageOutcome(write: StageOutcomeWrite): Promise<void> {
    checkpoints.recordStageOutcome(this.ctx, write);
  }

  async getCheckpoints(eventId: number): Promise<CheckpointRecord[]> {
    return checkpoints.getCheckpoints(this.ctx, eventId);
  }

  async getCheckpointsForEvents(eventIds: number[]): Promise<Map<number, CheckpointRecord[]>> {
    return checkpoints.getCheckpointsForEvents(this.ctx, eventIds);
  }

  async resetStage(eventId: number, stages: string | readonly string[], now: Date): Promise<void> {
    checkpoints.resetStage(this.ctx, eventId, typeof stages === 'string' ? [stages] : stages, now);
  }

  async getEventLogs(eventId: number): Promise<EventLogEntry[]> {
    return checkpoints.getEventLogs(this.ctx, eventId);
  }

  async getStageExchanges(eventId: number): Promise<StageExchange[]> {
    return exchanges.getStageExchanges(this.ctx, eventId);
  }

  async appendEventLogs(eventId: number, logs: EventLogEntry[]): Promise<void> {
    checkpoints.appendEventLogs(this.ctx, eventId, logs);
  }

  async attemptSamples(since: Date, limit?: number): Promise<AttemptSample[]> {
    return checkpoints.attemptSamples(this.ctx, since, limit);
  }

  // ── Entity state ───────────────────────────────────────────────────────────────────
  async getEntityState(entityKey: string): Promise<EntityState | null> {
    return entityState.getEntityState(this.ctx, entityKey);
  }

  async setEntityState(transition: EntityTransition): Promise<boolean> {
    return entityState.setEntityState(this.ctx, transition);
  }

  // ── Flags ──────────────────────────────────────────────────────────────────────────
  async ensureFlags(definitions: FlagDefinition[], now: Date): Promise<void> {
    flags.ensureFlags(this.ctx, definitions, now);
  }

  async listFlags(): Promise<FlagRecord[]> {
    return flags.listFlags(this.ctx);
  }

  async getFlag(key: string): Promise<FlagRecord | null> {
    return flags.getFlag(this.ctx, key);
  }

  async setFlag(input: SetFlagInput): Promise<{ flag: FlagRecord; change: FlagChange }> {
    return flags.setFlag(this.ctx, input);
  }

  async flagHistory(key: string | null, options?: ListOptions & FlagHistoryFilter): Promise<Page<FlagChange>> {
    return flags.flagHistory(this.ctx, key, options);
  }

  // ── Audit, tokens, sessions ────────────────────────────────────────────────────────
  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return audit.appendAudit(this.ctx, entry);
  }

  async listAudit(filter: AuditFilter, options?: ListOptions): Promise<Page<AuditEntry>> {
    return audit.listAudit(this.ctx, filter, options);
  }

  async createApiToken(token: NewApiToken): Promise<ApiTokenRecord> {
    return access.createApiToken(this.ctx, token);
  }

  async findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    return access.findApiTokenByHash(this.ctx, tokenHash);
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return access.listApiTokens(this.ctx);
  }

  async revokeApiToken(id: number, now: Date): Promise<boolean> {
    return access.revokeApiToken(this.ctx, id, now);
  }

  async touchApiToken(id: number, now: Date): Promise<void> {
    access.touchApiToken(this.ctx, id, now);
  }

  async createSession(session: SessionRecord): Promise<void> {
    access.createSession(this.ctx, session);
  }

  async getSession(id: string, now: Date): Promise<SessionRecord | null> {
    return access.getSession(this.ctx, id, now);
  }

  async deleteSession(id: string): Promise<void> {
    access.deleteSession(this.ctx, id);
  }

  async createLoginLink(link: NewLoginLink): Promise<LoginLinkRecord> {
    return loginLinks.createLoginLink(this.ctx, link);
  }

  async findLoginLink(tokenHash: string): Promise<LoginLinkRecord | null> {
    return loginLinks.findLoginLink(this.ctx, tokenHash);
  }

  async useLoginLink(tokenHash: string, now: Date): Promise<LoginLinkRecord | null> {
    return loginLinks.useLoginLink(this.ctx, tokenHash, now);
  }

  // ── Reconciliation ──────────────────────────────────────────────────────────────────
  async getReconciliationState(source: string): Promise<ReconciliationState | null> {
    return reconciliation.getReconciliationState(this.ctx, source);
  }

  async listReconciliationStates(): Promise<ReconciliationState[]> {
    return reconciliation.listReconciliationStates(this.ctx);
  }

  async recordReconciliationStart(source: string, now: Date, resume: ReconciliationResume): Promise<void> {
    reconciliation.recordReconciliationStart(this.ctx, source, now, resume);
  }

  async recordReconciliationProgress(source: string, resume: ReconciliationResume, recovered: number): Promise<void> {
    reconciliation.recordReconciliationProgress(this.ctx, source, resume, recovered);
  }

  async recordReconciliationEnd(end: ReconciliationEnd): Promise<void> {
    reconciliation.recordReconciliationEnd(this.ctx, end);
  }

  async recordProviderApi(source: string, apiBaseUrl: string): Promise<void> {
    reconciliation.recordProviderApi(this.ctx, source, apiBaseUrl);
  }

  // ── Rejections and alerts ──────────────────────────────────────────────────────────
  async recordRejection(rejection: NewRejection, keep?: number): Promise<void> {
    rejections.recordRejection(this.ctx, rejection, keep);
  }

  async listRejections(limit?: number): Promise<RejectedDelivery[]> {
    return rejections.listRejections(this.ctx, limit);
  }

  async recordAlert(alert: NewAlert): Promise<AlertRecord> {
    return alerts.recordAlert(this.ctx, alert);
  }

  async listAlerts(options?: ListOptions & { unresolvedOnly?: boolean }): Promise<Page<AlertRecord>> {
    return alerts.listAlerts(this.ctx, options);
  }

  async resolveAlert(id: number, now: Date): Promise<boolean> {
    return alerts.resolveAlert(this.ctx, id, now);
  }

  async acknowledgeAlert(ack: AlertAck): Promise<AlertAckResult> {
    return alerts.acknowledgeAlert(this.ctx, ack);
  }

  async muteAlert(mute: AlertMute): Promise<AlertMuteResult> {
    return alerts.muteAlert(this.ctx, mute);
  }

  async listOpenAlerts(kinds: readonly AlertKind[], limit?: number): Promise<AlertRecord[]> {
    return alerts.listOpenAlerts(this.ctx, kinds, limit);
  }

  async resolveAlertsForEvent(eventId: number, kinds: readonly AlertKind[], now: Date): Promise<number> {
    return alerts.resolveAlertsForEvent(this.ctx, eventId, kinds, now);
  }

  async claimAlertsToForward(options: ClaimAlertsToForward): Promise<AlertToForward[]> {
    return outbox.claimAlertsToForward(this.ctx, options);
  }

  async markAlertForwarded(id: number, at: Date, transition?: AlertTransition): Promise<void> {
    outbox.markAlertForwarded(this.ctx, id, at, transition);
  }

  async markAlertForwardFailed(id: number, failure: { nextAt: Date; error: string; transition?: AlertTransition }): Promise<void> {
    outbox.markAlertForwardFailed(this.ctx, id, failure);
  }

  // ── Retention ──────────────────────────────────────────────────────────────────────
  async countPurgeable(kind: PurgeKind, before: Date): Promise<number> {
    return retention.countPurgeable(this.ctx, kind, before);
  }

  async purgeBatch(kind: PurgeKind, before: Date, limit: number): Promise<number> {
    return retention.purgeBatch(this.ctx, kind, before, limit);
  }
}
