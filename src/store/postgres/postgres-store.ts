import type pg from 'pg';
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
import { ConfigError, errorMessage } from '../../core/errors.js';
import { storableEvent, storableText } from '../storable.js';
import * as alerts from './alert-issues.js';
import * as checkpoints from './checkpoints.js';
import { writeCheckpointRows } from './checkpoint-batch.js';
import * as claims from './claims.js';
import * as loginLinks from './login-links.js';
import {
  type PostgresOpenOptions,
  type PostgresTarget,
  clientConfig,
  createPool,
  describeTarget,
  inTransaction,
  resolveTarget,
  wakeChannel,
} from './connection.js';
import * as events from './events.js';
import * as exchanges from './exchanges.js';
import * as flags from './flags.js';
import * as health from './health.js';
import * as home from './home.js';
import { appliedSchemaVersion, migrateSchema, postgresMigrations } from './migrate.js';
import * as reconciliation from './reconciliation.js';
import * as records from './records.js';
import { countPurgeableRows, purgeBatchRows } from './retention.js';
import { WakeHub, notifyWake } from './wake.js';

/**
 * The Store on PostgreSQL (node-postgres): for many servers and workers sharing one database.
 * Claims use FOR UPDATE SKIP LOCKED plus a per-entity advisory lock (see ARCHITECTURE.md);
 * wake-ups travel over LISTEN/NOTIFY on a channel named after the schema.
 * The SQL lives in the modules beside this one, one per concern; this class only wires
 * transactions and notifications around them.
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  /** The schema holding webpig's tables. */
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly channel: string;
  private readonly wake: WakeHub;

  private constructor(target: PostgresTarget) {
    this.schema = target.schema;
    this.pool = createPool(target);
    this.channel = wakeChannel(target.schema);
    // The backends of this store's pool: their NOTIFYs were already delivered in the process.
    const ownBackends = new Set<number>();
    this.pool.on('connect', (client) => ownBackends.add(backendPid(client)));
    this.pool.on('remove', (client) => ownBackends.delete(backendPid(client)));
    // Named, so an operator (or a test) can find the LISTEN connection in pg_stat_activity.
    this.wake = new WakeHub({ ...clientConfig(target), application_name: `webpig-listen:${target.schema}` }, this.channel, (pid) =>
      ownBackends.has(pid),
    );
  }

  /**
   * Connects (checking the server answers) without migrating: call `migrate()` next.
   * The schema comes from `options.schema`, else `?schema=` in the URL, else `public`.
   */
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresStore> {
    const target = resolveTarget(url, options);
    const store = new PostgresStore(target);
    try {
      await store.pool.query('SELECT 1');
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      // pg's own message ("connect ECONNREFUSED …", "role … does not exist") does not say
      // which database was meant: name it, without the password.
      throw new ConfigError(`cannot connect to PostgreSQL at ${describeTarget(target)}: ${errorMessage(err)}`, {
        code: 'DATABASE_OPEN_FAILED',
        cause: err,
      });
    }
    return store;
  }

  async migrate(): Promise<{ applied: string[]; current: number }> {
    return migrateSchema(this.pool, this.schema, postgresMigrations());
  }

  schemaVersion(): Promise<number> {
    return appliedSchemaVersion(this.pool, this.schema);
  }

  async close(): Promise<void> {
    await this.wake.close();
    await this.pool.end();
  }

  ping(timeoutMs: number): Promise<void> {
    return health.ping(this.pool, timeoutMs);
  }

  queueStats(): Promise<QueueStats> {
    return health.queueStats(this.pool);
  }

  // ── Inbox ──────────────────────────────────────────────────────────────────────────────

  async insertEvent(event: NewEvent): Promise<InsertEventResult> {
    const result = await events.insertOneEvent(this.pool, storableEvent(event), this.channel);
    if (!result.duplicate) this.wake.emit();
    return result;
  }

  async insertEvents(batch: NewEvent[]): Promise<InsertEventResult[]> {
    if (batch.length === 0) return [];
    return this.transactionThatMayWake(async (client, wake) => {
      const { results, inserted } = await events.insertEventRows(client, batch.map(storableEvent));
      if (inserted > 0) await wake();
      return results;
    });
  }

  getEvent(id: number): Promise<EventRecord | null> {
    return events.getEventRow(this.pool, id);
  }

  findEventByProviderId(source: string, providerEventId: string): Promise<EventRecord | null> {
    return events.findEventRow(this.pool, storableText(source), storableText(providerEventId));
  }

  listEvents(filter: EventFilter, options?: ListOptions): Promise<Page<EventRecord>> {
    return events.listEventRows(this.pool, filter, options);
  }

  countEvents(filter: EventFilter): Promise<number> {
    return events.countEventRows(this.pool, filter);
  }

  eventTotals(filter: EventFilter): Promise<EventTotal[]> {
    return home.eventTotalRows(this.pool, filter);
  }

  markEventHandled(handled: EventHandled): Promise<EventHandledResult> {
    return inTransaction(this.pool, (client) => home.markEventHandledRows(client, handled));
  }

  // ── Claims and leases ──────────────────────────────────────────────────────────────────

  claimNextEvent(options: ClaimOptions): Promise<EventRecord | null> {
    return inTransaction(this.pool, (client) => claims.claimNextEventRow(client, options));
  }

  claimNextEvents(options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] }): Promise<EventRecord[]> {
    return inTransaction(this.pool, async (client) => {
      // Durable with the run's first synchronous commit (its `processing` mark, before which
      // no effect starts): WAL is flushed in order, so that flush covers this commit too. A
      // crash before it loses only the claim (the event is queued again, its first write is
      // fenced). One WAL flush fewer on the idle path. See sqlite/claims.ts, the same rule.
      await client.query('SET LOCAL synchronous_commit = off');
      const claimed: EventRecord[] = [];
      for (const workerId of options.workerIds) {
        const event = await claims.claimNextEventRow(client, { workerId, leaseMs: options.leaseMs, now: options.now });
        if (!event) break;
        claimed.push(event);
      }
      return claimed;
    });
  }

  renewLease(eventId: number, workerId: string, leaseMs: number, now: Date): Promise<boolean> {
    return claims.renewLeaseRow(this.pool, eventId, workerId, leaseMs, now);
  }

  async releaseLease(eventId: number, workerId: string, now: Date): Promise<void> {
    await this.transactionThatMayWake(async (client, wake) => {
      if (await claims.releaseLeaseRow(client, eventId, workerId, now)) await wake();
    });
  }

  finishEvent(finish: EventFinish): Promise<EventRecord> {
    return this.transactionThatMayWake(async (client, wake) => {
      const event = await claims.finishEventRow(client, finish);
      if (event.status === 'retrying' || event.status === 'queued') await wake();
      return event;
    });
  }

  requeueEvent(eventId: number, now: Date): Promise<EventRecord | null> {
    return this.transactionThatMayWake(async (client, wake) => {
      const event = await claims.requeueEventRow(client, eventId, now);
      if (event) await wake();
      return event;
    });
  }

  nextWakeAt(): Promise<Date | null> {
    return claims.nextWakeAtRow(this.pool);
  }

  onWake(listener: WakeListener): () => void {
    return this.wake.subscribe(listener);
  }

  /** Resolves once the LISTEN connection is in place (tests use it to not miss a NOTIFY). */
  wakeReady(): Promise<void> {
    return this.wake.listening;
  }

  /**
   * Runs `work` in a transaction; if it calls `wake()`, a NOTIFY goes out with the commit (for
   * other stores) and, once committed, this store's own listeners are called directly: they
   * must not depend on the LISTEN connection being up yet.
   */
  private async transactionThatMayWake<T>(
    work: (client: pg.PoolClient, wake: () => Promise<void>) => Promise<T>,
  ): Promise<T> {
    let woke = false;
    const result = await inTransaction(this.pool, (client) =>
      work(client, async () => {
        woke = true;
        await notifyWake(client, this.channel);
      }),
    );
    if (woke) this.wake.emit();
    return result;
  }

  // ── Checkpoints ────────────────────────────────────────────────────────────────────────

  writeCheckpoints(writes: CheckpointWrite[]): Promise<CheckpointWriteResult[]> {
    if (writes.length === 0) return Promise.resolve([]);
    return this.transactionThatMayWake((client, wake) => writeCheckpointRows(client, writes, wake));
  }

  async recordStageStart(start: StageStart): Promise<void> {
    await inTransaction(this.pool, (client) => checkpoints.recordStageStartRows(client, start));
  }

  async recordStageOutcome(write: StageOutcomeWrite): Promise<void> {
    await inTransaction(this.pool, (client) => checkpoints.recordStageOutcomeRows(client, write));
  }

  async getCheckpoints(eventId: number): Promise<CheckpointRecord[]> {
    return (await checkpoints.getCheckpointRows(this.pool, [eventId])).get(eventId) ?? [];
  }

  getCheckpointsForEvents(eventIds: number[]): Promise<Map<number, CheckpointRecord[]>> {
    return checkpoints.getCheckpointRows(this.pool, eventIds);
  }

  async resetStage(eventId: number, stages: string | readonly string[], now: Date): Promise<void> {
    await this.transactionThatMayWake(async (client, wake) => {
      await checkpoints.resetStageRows(client, eventId, typeof stages === 'string' ? [stages] : stages, now);
      await wake();
    });
  }

  getEventLogs(eventId: number): Promise<EventLogEntry[]> {
    return checkpoints.getEventLogRows(this.pool, eventId);
  }

  getStageExchanges(eventId: number): Promise<StageExchange[]> {
    return exchanges.getStageExchanges(this.pool, eventId);
  }

  appendEventLogs(eventId: number, logs: EventLogEntry[]): Promise<void> {
    return checkpoints.insertLogs(this.pool, eventId, logs);
  }

  attemptSamples(since: Date, limit?: number): Promise<AttemptSample[]> {
    return checkpoints.attemptSampleRows(this.pool, since, limit);
  }

  // ── Entity state ───────────────────────────────────────────────────────────────────────

  getEntityState(entityKey: string): Promise<EntityState | null> {
    return records.getEntityStateRow(this.pool, entityKey);
  }

  setEntityState(transition: EntityTransition): Promise<boolean> {
    return records.setEntityStateRow(this.pool, transition);
  }

  // ── Flags ──────────────────────────────────────────────────────────────────────────────

  ensureFlags(definitions: FlagDefinition[], now: Date): Promise<void> {
    return flags.ensureFlagRows(this.pool, definitions, now);
  }

  listFlags(): Promise<FlagRecord[]> {
    return flags.listFlagRows(this.pool);
  }

  getFlag(key: string): Promise<FlagRecord | null> {
    return flags.getFlagRow(this.pool, key);
  }

  setFlag(input: SetFlagInput): Promise<{ flag: FlagRecord; change: FlagChange }> {
    return inTransaction(this.pool, (client) => flags.setFlagRow(client, input));
  }

  flagHistory(key: string | null, options?: ListOptions & FlagHistoryFilter): Promise<Page<FlagChange>> {
    return flags.flagHistoryRows(this.pool, key, options);
  }

  // ── Audit, tokens, sessions ────────────────────────────────────────────────────────────

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return records.appendAuditRow(this.pool, entry);
  }

  listAudit(filter: AuditFilter, options?: ListOptions): Promise<Page<AuditEntry>> {
    return records.listAuditRows(this.pool, filter, options);
  }

  createApiToken(token: NewApiToken): Promise<ApiTokenRecord> {
    return records.createApiTokenRow(this.pool, token);
  }

  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    return records.findApiTokenRow(this.pool, tokenHash);
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return records.listApiTokenRows(this.pool);
  }

  revokeApiToken(id: number, now: Date): Promise<boolean> {
    return records.revokeApiTokenRow(this.pool, id, now);
  }

  touchApiToken(id: number, now: Date): Promise<void> {
    return records.touchApiTokenRow(this.pool, id, now);
  }

  createSession(session: SessionRecord): Promise<void> {
    return records.createSessionRow(this.pool, session);
  }

  getSession(id: string, now: Date): Promise<SessionRecord | null> {
    return records.getSessionRow(this.pool, id, now);
  }

  deleteSession(id: string): Promise<void> {
    return records.deleteSessionRow(this.pool, id);
  }

  createLoginLink(link: NewLoginLink): Promise<LoginLinkRecord> {
    return loginLinks.createLoginLinkRow(this.pool, link);
  }

  findLoginLink(tokenHash: string): Promise<LoginLinkRecord | null> {
    return loginLinks.findLoginLinkRow(this.pool, tokenHash);
  }

  useLoginLink(tokenHash: string, now: Date): Promise<LoginLinkRecord | null> {
    return loginLinks.useLoginLinkRow(this.pool, tokenHash, now);
  }

  // ── Reconciliation ──────────────────────────────────────────────────────────────────────

  getReconciliationState(source: string): Promise<ReconciliationState | null> {
    return reconciliation.getReconciliationState(this.pool, source);
  }

  listReconciliationStates(): Promise<ReconciliationState[]> {
    return reconciliation.listReconciliationStates(this.pool);
  }

  recordReconciliationStart(source: string, now: Date, resume: ReconciliationResume): Promise<void> {
    return reconciliation.recordReconciliationStart(this.pool, source, now, resume);
  }

  recordReconciliationProgress(source: string, resume: ReconciliationResume, recovered: number): Promise<void> {
    return reconciliation.recordReconciliationProgress(this.pool, source, resume, recovered);
  }

  recordReconciliationEnd(end: ReconciliationEnd): Promise<void> {
    return reconciliation.recordReconciliationEnd(this.pool, end);
  }

  recordProviderApi(source: string, apiBaseUrl: string): Promise<void> {
    return reconciliation.recordProviderApi(this.pool, source, apiBaseUrl);
  }

  // ── Rejections and alerts ──────────────────────────────────────────────────────────────

  recordRejection(rejection: NewRejection, keep?: number): Promise<void> {
    return records.recordRejectionRow(this.pool, rejection, keep);
  }

  listRejections(limit?: number): Promise<RejectedDelivery[]> {
    return records.listRejectionRows(this.pool, limit);
  }

  recordAlert(alert: NewAlert): Promise<AlertRecord> {
    return alerts.recordAlertRow(this.pool, alert);
  }

  listAlerts(options?: ListOptions & { unresolvedOnly?: boolean }): Promise<Page<AlertRecord>> {
    return alerts.listAlertRows(this.pool, options);
  }

  listOpenAlerts(kinds: readonly AlertKind[], limit?: number): Promise<AlertRecord[]> {
    return alerts.listOpenAlertRows(this.pool, kinds, limit);
  }

  resolveAlert(id: number, now: Date): Promise<boolean> {
    return alerts.resolveAlertRow(this.pool, id, now);
  }

  acknowledgeAlert(ack: AlertAck): Promise<AlertAckResult> {
    return alerts.acknowledgeAlertRow(this.pool, ack);
  }

  muteAlert(mute: AlertMute): Promise<AlertMuteResult> {
    return alerts.muteAlertRow(this.pool, mute);
  }

  resolveAlertsForEvent(eventId: number, kinds: readonly AlertKind[], now: Date): Promise<number> {
    return alerts.resolveAlertRowsForEvent(this.pool, eventId, kinds, now);
  }

  claimAlertsToForward(options: ClaimAlertsToForward): Promise<AlertToForward[]> {
    return alerts.claimAlertsToForwardRows(this.pool, options);
  }

  async markAlertForwarded(id: number, at: Date, transition?: AlertTransition): Promise<void> {
    await alerts.markAlertForwardedRow(this.pool, id, at, transition);
  }

  async markAlertForwardFailed(id: number, failure: { nextAt: Date; error: string; transition?: AlertTransition }): Promise<void> {
    await alerts.markAlertForwardFailedRow(this.pool, id, failure);
  }

  // ── Retention ──────────────────────────────────────────────────────────────────────────

  countPurgeable(kind: PurgeKind, before: Date): Promise<number> {
    return countPurgeableRows(this.pool, kind, before);
  }

  purgeBatch(kind: PurgeKind, before: Date, limit: number): Promise<number> {
    return purgeBatchRows(this.pool, kind, before, limit);
  }
}

/** The server process behind a pooled client (pg sets it on connect; its types omit it). */
function backendPid(client: pg.PoolClient): number {
  return (client as unknown as { processID: number | null }).processID ?? -1;
}
