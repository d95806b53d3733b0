import type { Store } from '../store.js';
import * as alerts from './alert-issues.js';
import * as outbox from './alert-outbox.js';
import * as audit from './audit.js';
import { writeCheckpoints } from './checkpoint-batch.js';
import * as checkpoints from './checkpoints.js';
import * as claims from './claims.js';
import { BUSY_TIMEOUT_MS, openSqliteDatabase, SqliteContext, sqliteFilename } from './connection.js';
import * as entityState from './entity-state.js';
import { getEventSummaries } from './event-summaries.js';
import * as events from './events.js';
import * as exchanges from './exchanges.js';
import * as flags from './flags.js';
import * as health from './health.js';
import * as home from './home.js';
import * as loginLinks from './login-links.js';
import { appliedVersion, migrateSqlite } from './migrate.js';
import * as reconciliation from './reconciliation.js';
import * as reconciliationClaims from './reconciliation-claims.js';
import * as rejections from './rejections.js';
import * as retention from './retention.js';
import { SearchIndexer } from './search-index.js';
import * as access from './tokens-sessions.js';
import type { WalFsyncHook } from './wal-sync.js';

export interface SqliteOpenOptions {
  /** How often the WAL is checked and checkpointed when idle or low on space (wal.ts); 0 turns it off. (Default: 1000 ms) */
  checkpointIntervalMs?: number;
  /** For tests: wraps each off-loop fsync of the WAL, to observe, hold or fail it (wal-sync.ts). (Default: none) */
  walFsyncHook?: WalFsyncHook;
}

/**
 * The embedded Store: one SQLite file (WAL) shared by the server and workers of one machine.
 * better-sqlite3 is synchronous, so every call runs to completion before the next starts in
 * this process; other processes are kept apart by BEGIN IMMEDIATE write transactions.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly writeBatchesInFlight = 1;

  /** Adds events to the text search's index after their commit (migration 0012). */
  private readonly searchIndexer: SearchIndexer;

  private constructor(private readonly ctx: SqliteContext) {
    this.searchIndexer = new SearchIndexer(ctx);
  }

  /** Opens `sqlite:./path.db`, `sqlite:/abs/path.db` or `sqlite::memory:` (not migrated yet). */
  static open(url: string, options: SqliteOpenOptions = {}): SqliteStore {
    const db = openSqliteDatabase(sqliteFilename(url));
    return new SqliteStore(new SqliteContext(db, { intervalMs: options.checkpointIntervalMs, walFsyncHook: options.walFsyncHook }));
  }

  /**
   * The connection itself, for tests and diagnostics; all writes belong in this module. Handed
   * out at its own synchronous level (FULL), not the NORMAL an unsynced commit leaves it at.
   */
  get database(): SqliteContext['db'] {
    if (this.ctx.db.open) this.ctx.restoreSyncLevel();
    return this.ctx.db;
  }

  migrate: Store['migrate'] = async () => {
    const result = migrateSqlite(this.ctx);
    // Events a previous process committed and did not live to index.
    this.searchIndexer.schedule(0);
    return result;
  };
  schemaVersion: Store['schemaVersion'] = async () => appliedVersion(this.ctx);
  close: Store['close'] = async () => {
    this.searchIndexer.stop();
    this.ctx.close();
  };
  ping: Store['ping'] = (timeoutMs) => health.ping(this.ctx, timeoutMs, BUSY_TIMEOUT_MS);
  // The readiness check, given as long for the lock as any writer waits.
  assertWritable: Store['assertWritable'] = () => health.ping(this.ctx, BUSY_TIMEOUT_MS, BUSY_TIMEOUT_MS);
  queueStats: Store['queueStats'] = async () => health.queueStats(this.ctx);

  // ── Inbox ──────────────────────────────────────────────────────────────────────────
  insertEvent: Store['insertEvent'] = async (event) => this.searchedLater(await events.insertEvent(this.ctx, event));
  insertEvents: Store['insertEvents'] = async (batch) => this.searchedLater(await events.insertEvents(this.ctx, batch));
  storeDeliveries: Store['storeDeliveries'] = async (batch) => this.searchedLater(await events.storeDeliveries(this.ctx, batch));
  getEvent: Store['getEvent'] = async (id) => events.getEvent(this.ctx, id);
  findEventByProviderId: Store['findEventByProviderId'] = async (source, providerEventId) =>
    events.findEventByProviderId(this.ctx, source, providerEventId);
  listEvents: Store['listEvents'] = async (filter, options) => events.listEvents(this.ctx, filter, options);
  countEvents: Store['countEvents'] = async (filter) => events.countEvents(this.ctx, filter);
  eventTotals: Store['eventTotals'] = async (filter, options) => home.eventTotals(this.ctx, filter, options);
  countEventsBySource: Store['countEventsBySource'] = async (filter) => home.countEventsBySource(this.ctx, filter);
  listEventSources: Store['listEventSources'] = async () => home.listEventSources(this.ctx);
  getEventSummaries: Store['getEventSummaries'] = async (eventIds) => getEventSummaries(this.ctx, eventIds);
  markEventHandled: Store['markEventHandled'] = async (handled) => home.markEventHandled(this.ctx, handled);

  // ── Claims and leases ──────────────────────────────────────────────────────────────
  claimNextEvent: Store['claimNextEvent'] = async (options) => claims.claimNextEvent(this.ctx, options);
  claimNextEvents: Store['claimNextEvents'] = async (options) => claims.claimNextEvents(this.ctx, options);
  renewLease: Store['renewLease'] = async (eventId, workerId, leaseMs, now) => claims.renewLease(this.ctx, eventId, workerId, leaseMs, now);
  releaseLease: Store['releaseLease'] = async (eventId, workerId, now) => {
    await claims.releaseLease(this.ctx, eventId, workerId, now);
  };
  finishEvent: Store['finishEvent'] = async (finish) => claims.finishEvent(this.ctx, finish);
  requeueEvent: Store['requeueEvent'] = async (eventId, now) => claims.requeueEvent(this.ctx, eventId, now);
  nextWakeAt: Store['nextWakeAt'] = async () => claims.nextWakeAt(this.ctx);
  onWake: Store['onWake'] = (listener) => this.ctx.onWake(listener);

  // ── Checkpoints ────────────────────────────────────────────────────────────────────
  writeCheckpoints: Store['writeCheckpoints'] = async (writes) => writeCheckpoints(this.ctx, writes);
  recordStageStart: Store['recordStageStart'] = async (start) => {
    checkpoints.recordStageStart(this.ctx, start);
  };
  recordStageOutcome: Store['recordStageOutcome'] = async (write) => {
    checkpoints.recordStageOutcome(this.ctx, write);
  };
  getCheckpoints: Store['getCheckpoints'] = async (eventId) => checkpoints.getCheckpoints(this.ctx, eventId);
  getCheckpointsForEvents: Store['getCheckpointsForEvents'] = async (eventIds) => checkpoints.getCheckpointsForEvents(this.ctx, eventIds);
  resetStage: Store['resetStage'] = async (eventId, stages, now) => {
    checkpoints.resetStage(this.ctx, eventId, typeof stages === 'string' ? [stages] : stages, now);
  };
  getEventLogs: Store['getEventLogs'] = async (eventId) => checkpoints.getEventLogs(this.ctx, eventId);
  getStageExchanges: Store['getStageExchanges'] = async (eventId) => exchanges.getStageExchanges(this.ctx, eventId);
  appendEventLogs: Store['appendEventLogs'] = async (eventId, logs) => {
    await checkpoints.appendEventLogs(this.ctx, eventId, logs);
  };
  attemptSamples: Store['attemptSamples'] = async (since, limit) => checkpoints.attemptSamples(this.ctx, since, limit);

  // ── Entity state ───────────────────────────────────────────────────────────────────
  getEntityState: Store['getEntityState'] = async (entityKey) => entityState.getEntityState(this.ctx, entityKey);
  setEntityState: Store['setEntityState'] = async (transition) => entityState.setEntityState(this.ctx, transition);

  // ── Flags ──────────────────────────────────────────────────────────────────────────
  ensureFlags: Store['ensureFlags'] = async (definitions, now) => {
    flags.ensureFlags(this.ctx, definitions, now);
  };
  listFlags: Store['listFlags'] = async () => flags.listFlags(this.ctx);
  getFlag: Store['getFlag'] = async (key) => flags.getFlag(this.ctx, key);

  setFlag: Store['setFlag'] = async (input) => flags.setFlag(this.ctx, input);
  flagHistory: Store['flagHistory'] = async (key, options) => flags.flagHistory(this.ctx, key, options);

  // ── Audit, tokens, sessions ────────────────────────────────────────────────────────
  appendAudit: Store['appendAudit'] = async (entry) => audit.appendAudit(this.ctx, entry);
  listAudit: Store['listAudit'] = async (filter, options) => audit.listAudit(this.ctx, filter, options);
  createApiToken: Store['createApiToken'] = async (token) => access.createApiToken(this.ctx, token);
  findApiTokenByHash: Store['findApiTokenByHash'] = async (tokenHash) => access.findApiTokenByHash(this.ctx, tokenHash);
  listApiTokens: Store['listApiTokens'] = async () => access.listApiTokens(this.ctx);
  revokeApiToken: Store['revokeApiToken'] = async (id, now) => access.revokeApiToken(this.ctx, id, now);
  touchApiToken: Store['touchApiToken'] = async (id, now) => {
    access.touchApiToken(this.ctx, id, now);
  };
  createSession: Store['createSession'] = async (session) => {
    access.createSession(this.ctx, session);
  };
  getSession: Store['getSession'] = async (id, now) => access.getSession(this.ctx, id, now);
  deleteSession: Store['deleteSession'] = async (id) => {
    access.deleteSession(this.ctx, id);
  };
  createLoginLink: Store['createLoginLink'] = async (link) => loginLinks.createLoginLink(this.ctx, link);
  findLoginLink: Store['findLoginLink'] = async (tokenHash) => loginLinks.findLoginLink(this.ctx, tokenHash);
  useLoginLink: Store['useLoginLink'] = async (tokenHash, now) => loginLinks.useLoginLink(this.ctx, tokenHash, now);

  // ── Reconciliation ──────────────────────────────────────────────────────────────────
  getReconciliationState: Store['getReconciliationState'] = async (source) => reconciliation.getReconciliationState(this.ctx, source);
  listReconciliationStates: Store['listReconciliationStates'] = async () => reconciliation.listReconciliationStates(this.ctx);
  claimReconciliationRun: Store['claimReconciliationRun'] = async (claim) => reconciliationClaims.claimReconciliationRun(this.ctx, claim);
  renewReconciliationRun: Store['renewReconciliationRun'] = async (source, owner, leaseUntil) =>
    reconciliationClaims.renewReconciliationRun(this.ctx, source, owner, leaseUntil);
  releaseReconciliationRun: Store['releaseReconciliationRun'] = async (source, owner) => {
    reconciliationClaims.releaseReconciliationRun(this.ctx, source, owner);
  };
  recordReconciliationStart: Store['recordReconciliationStart'] = async (source, now, resume, owner) =>
    reconciliation.recordReconciliationStart(this.ctx, source, now, resume, owner ?? null);
  recordReconciliationProgress: Store['recordReconciliationProgress'] = async (source, resume, recovered, owner) =>
    reconciliation.recordReconciliationProgress(this.ctx, source, resume, recovered, owner ?? null);
  recordReconciliationEnd: Store['recordReconciliationEnd'] = async (end, owner) =>
    reconciliation.recordReconciliationEnd(this.ctx, end, owner ?? null);
  recordProviderApi: Store['recordProviderApi'] = async (source, apiBaseUrl) => {
    reconciliation.recordProviderApi(this.ctx, source, apiBaseUrl);
  };

  // ── Rejections and alerts ──────────────────────────────────────────────────────────
  recordRejection: Store['recordRejection'] = async (rejection, keep) => {
    rejections.recordRejection(this.ctx, rejection, keep);
  };
  listRejections: Store['listRejections'] = async (limit, beforeId) => rejections.listRejections(this.ctx, limit, beforeId);
  countRejections: Store['countRejections'] = async (window) => rejections.countRejections(this.ctx, window);
  recordAlert: Store['recordAlert'] = async (alert) => alerts.recordAlert(this.ctx, alert);
  listAlerts: Store['listAlerts'] = async (options) => alerts.listAlerts(this.ctx, options);
  resolveAlert: Store['resolveAlert'] = async (id, now) => alerts.resolveAlert(this.ctx, id, now);
  acknowledgeAlert: Store['acknowledgeAlert'] = async (ack) => alerts.acknowledgeAlert(this.ctx, ack);
  muteAlert: Store['muteAlert'] = async (mute) => alerts.muteAlert(this.ctx, mute);
  resolveAlertBySubject: Store['resolveAlertBySubject'] = async (kind, subject, now) =>
    alerts.resolveAlertBySubject(this.ctx, kind, subject, now);
  listOpenAlerts: Store['listOpenAlerts'] = async (kinds, limit) => alerts.listOpenAlerts(this.ctx, kinds, limit);
  resolveAlertsForEvent: Store['resolveAlertsForEvent'] = async (eventId, kinds, now) =>
    alerts.resolveAlertsForEvent(this.ctx, eventId, kinds, now);
  claimAlertsToForward: Store['claimAlertsToForward'] = async (options) => outbox.claimAlertsToForward(this.ctx, options);
  markAlertForwarded: Store['markAlertForwarded'] = async (id, at, transition) => {
    outbox.markAlertForwarded(this.ctx, id, at, transition);
  };
  markAlertForwardFailed: Store['markAlertForwardFailed'] = async (id, failure) => {
    outbox.markAlertForwardFailed(this.ctx, id, failure);
  };

  /** Indexes every event not in the text search's index yet, now (tests, benchmarks); returns how many. */
  indexSearchNow(): number {
    return this.searchIndexer.indexAll();
  }

  /** Passes an insert's result through, with the indexer asked to index it shortly. */
  private searchedLater<T>(result: T): T {
    this.searchIndexer.schedule();
    return result;
  }

  // ── Retention ──────────────────────────────────────────────────────────────────────
  countPurgeable: Store['countPurgeable'] = async (kind, before) => retention.countPurgeable(this.ctx, kind, before);
  purgeBatch: Store['purgeBatch'] = async (kind, before, limit) => retention.purgeBatch(this.ctx, kind, before, limit);
}
