import type pg from 'pg';
import type { Store } from '../store.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import { storableEvent, storableText } from '../storable.js';
import * as alerts from './alert-issues.js';
import * as outbox from './alert-outbox.js';
import * as audit from './audit.js';
import { writeCheckpoints } from './checkpoint-batch.js';
import * as checkpoints from './checkpoints.js';
import { claimEventsInOneCall } from './claim-call.js';
import * as claims from './claims.js';
import * as entityState from './entity-state.js';
import { getEventSummaries } from './event-summaries.js';
import * as events from './events.js';
import * as exchanges from './exchanges.js';
import {
  type PostgresOpenOptions,
  type PostgresTarget,
  clientConfig,
  createPool,
  describeTarget,
  openFailureHint,
  inTransaction,
  resolveTarget,
  wakeChannel,
} from './connection.js';
import * as flags from './flags.js';
import * as health from './health.js';
import * as home from './home.js';
import * as loginLinks from './login-links.js';
import { appliedVersion, migratePostgres, postgresMigrations } from './migrate.js';
import * as reconciliation from './reconciliation.js';
import * as reconciliationClaims from './reconciliation-claims.js';
import * as rejections from './rejections.js';
import * as retention from './retention.js';
import * as access from './tokens-sessions.js';
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
  readonly writeBatchesInFlight = 4;
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
      throw new ConfigError(
        `cannot connect to PostgreSQL at ${describeTarget(target)}: ${errorMessage(err)}${openFailureHint(err, target)}`,
        {
          code: 'DATABASE_OPEN_FAILED',
          cause: err,
        },
      );
    }
    return store;
  }

  migrate: Store['migrate'] = () => migratePostgres(this.pool, this.schema, postgresMigrations());
  schemaVersion: Store['schemaVersion'] = () => appliedVersion(this.pool, this.schema);

  close: Store['close'] = async () => {
    await this.wake.close();
    await this.pool.end();
  };

  ping: Store['ping'] = (timeoutMs) => health.ping(this.pool, timeoutMs);
  assertWritable: Store['assertWritable'] = () => health.assertWritable(this.pool);
  queueStats: Store['queueStats'] = () => health.queueStats(this.pool);

  // ── Inbox ──────────────────────────────────────────────────────────────────────────────

  insertEvent: Store['insertEvent'] = async (event) => {
    const result = await events.insertEvent(this.pool, storableEvent(event), this.channel);
    if (!result.duplicate) this.wake.emit();
    return result;
  };

  // PostgreSQL's inserts already return the row they wrote (RETURNING): the records cost no
  // extra round trip here, so ingestion's results are taken from them.
  storeDeliveries: Store['storeDeliveries'] = async (batch) => {
    const [only] = batch;
    const results = batch.length === 1 && only ? [await this.insertEvent(only)] : await this.insertEvents(batch);
    return results.map((result) => ({ id: result.event.id, duplicate: result.duplicate }));
  };

  insertEvents: Store['insertEvents'] = async (batch) => {
    if (batch.length === 0) return [];
    if (batch.length <= events.MAX_SINGLE_STATEMENT_BATCH) {
      // One autocommitted statement, its NOTIFY inside (group commit's batches always fit).
      const { results, inserted } = await events.insertEvents(this.pool, batch.map(storableEvent), this.channel);
      if (inserted > 0) this.wake.emit();
      return results;
    }
    return this.transactionThatMayWake(async (client, wake) => {
      const { results, inserted } = await events.insertEvents(client, batch.map(storableEvent));
      if (inserted > 0) await wake();
      return results;
    });
  };

  getEvent: Store['getEvent'] = (id) => events.getEvent(this.pool, id);
  findEventByProviderId: Store['findEventByProviderId'] = (source, providerEventId) =>
    events.findEventByProviderId(this.pool, storableText(source), storableText(providerEventId));
  listEvents: Store['listEvents'] = (filter, options) => events.listEvents(this.pool, filter, options);
  countEvents: Store['countEvents'] = (filter) => events.countEvents(this.pool, filter);
  eventTotals: Store['eventTotals'] = (filter, options) => home.eventTotals(this.pool, filter, options);
  countEventsBySource: Store['countEventsBySource'] = (filter) => home.countEventsBySource(this.pool, filter);
  listEventSources: Store['listEventSources'] = () => home.listEventSources(this.pool);
  getEventSummaries: Store['getEventSummaries'] = (eventIds) => getEventSummaries(this.pool, eventIds);
  markEventHandled: Store['markEventHandled'] = (handled) => inTransaction(this.pool, (client) => home.markEventHandled(client, handled));

  // ── Claims and leases ──────────────────────────────────────────────────────────────────

  // One call of webpig_claim_events (claim-call.ts), in autocommit: one round trip.
  claimNextEvent: Store['claimNextEvent'] = async ({ workerId, ...options }) =>
    (await claimEventsInOneCall(this.pool, { ...options, workerIds: [workerId] }))[0] ?? null;
  claimNextEvents: Store['claimNextEvents'] = (options) => claimEventsInOneCall(this.pool, options);
  renewLease: Store['renewLease'] = (eventId, workerId, leaseMs, now) => claims.renewLease(this.pool, eventId, workerId, leaseMs, now);

  releaseLease: Store['releaseLease'] = async (eventId, workerId, now) => {
    await this.transactionThatMayWake(async (client, wake) => {
      if (await claims.releaseLease(client, eventId, workerId, now)) await wake();
    });
  };

  finishEvent: Store['finishEvent'] = (finish) =>
    this.transactionThatMayWake(async (client, wake) => {
      const event = await claims.finishEvent(client, finish);
      if (event.status === 'retrying' || event.status === 'queued') await wake();
      return event;
    });

  requeueEvent: Store['requeueEvent'] = (eventId, now) =>
    this.transactionThatMayWake(async (client, wake) => {
      const event = await claims.requeueEvent(client, eventId, now);
      if (event) await wake();
      return event;
    });

  nextWakeAt: Store['nextWakeAt'] = () => claims.nextWakeAt(this.pool);
  onWake: Store['onWake'] = (listener) => this.wake.subscribe(listener);

  /** Resolves once the LISTEN connection is in place (tests use it to not miss a NOTIFY). */
  wakeReady(): Promise<void> {
    return this.wake.listening;
  }

  /**
   * Runs `work` in a transaction; if it calls `wake()`, a NOTIFY goes out with the commit (for
   * other stores) and, once committed, this store's own listeners are called directly: they
   * must not depend on the LISTEN connection being up yet.
   */
  private async transactionThatMayWake<T>(work: (client: pg.PoolClient, wake: () => Promise<void>) => Promise<T>): Promise<T> {
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

  writeCheckpoints: Store['writeCheckpoints'] = (writes) => {
    if (writes.length === 0) return Promise.resolve([]);
    return writeCheckpoints(this.pool, this.channel, writes, () => this.wake.emit());
  };

  recordStageStart: Store['recordStageStart'] = async (start) => {
    await inTransaction(this.pool, (client) => checkpoints.recordStageStart(client, start));
  };
  recordStageOutcome: Store['recordStageOutcome'] = async (write) => {
    await inTransaction(this.pool, (client) => checkpoints.recordStageOutcome(client, write));
  };
  getCheckpoints: Store['getCheckpoints'] = (eventId) => checkpoints.getCheckpoints(this.pool, eventId);
  getCheckpointsForEvents: Store['getCheckpointsForEvents'] = (eventIds) => checkpoints.getCheckpointsForEvents(this.pool, eventIds);

  resetStage: Store['resetStage'] = async (eventId, stages, now) => {
    await this.transactionThatMayWake(async (client, wake) => {
      await checkpoints.resetStage(client, eventId, typeof stages === 'string' ? [stages] : stages, now);
      await wake();
    });
  };

  getEventLogs: Store['getEventLogs'] = (eventId) => checkpoints.getEventLogs(this.pool, eventId);
  getStageExchanges: Store['getStageExchanges'] = (eventId) => exchanges.getStageExchanges(this.pool, eventId);
  appendEventLogs: Store['appendEventLogs'] = (eventId, logs) => checkpoints.appendEventLogs(this.pool, eventId, logs);
  attemptSamples: Store['attemptSamples'] = (since, limit) => checkpoints.attemptSamples(this.pool, since, limit);

  // ── Entity state ───────────────────────────────────────────────────────────────────────

  getEntityState: Store['getEntityState'] = (entityKey) => entityState.getEntityState(this.pool, entityKey);
  setEntityState: Store['setEntityState'] = (transition) => entityState.setEntityState(this.pool, transition);

  // ── Flags ──────────────────────────────────────────────────────────────────────────────

  ensureFlags: Store['ensureFlags'] = (definitions, now) => flags.ensureFlags(this.pool, definitions, now);
  listFlags: Store['listFlags'] = () => flags.listFlags(this.pool);
  getFlag: Store['getFlag'] = (key) => flags.getFlag(this.pool, key);

  setFlag: Store['setFlag'] = (input) => inTransaction(this.pool, (client) => flags.setFlag(client, input));
  flagHistory: Store['flagHistory'] = (key, options) => flags.flagHistory(this.pool, key, options);

  // ── Audit, tokens, sessions ────────────────────────────────────────────────────────────

  appendAudit: Store['appendAudit'] = (entry) => audit.appendAudit(this.pool, entry);
  listAudit: Store['listAudit'] = (filter, options) => audit.listAudit(this.pool, filter, options);
  createApiToken: Store['createApiToken'] = (token) => access.createApiToken(this.pool, token);
  findApiTokenByHash: Store['findApiTokenByHash'] = (tokenHash) => access.findApiTokenByHash(this.pool, tokenHash);
  listApiTokens: Store['listApiTokens'] = () => access.listApiTokens(this.pool);
  revokeApiToken: Store['revokeApiToken'] = (id, now) => access.revokeApiToken(this.pool, id, now);
  touchApiToken: Store['touchApiToken'] = (id, now) => access.touchApiToken(this.pool, id, now);
  createSession: Store['createSession'] = (session) => access.createSession(this.pool, session);
  getSession: Store['getSession'] = (id, now) => access.getSession(this.pool, id, now);
  deleteSession: Store['deleteSession'] = (id) => access.deleteSession(this.pool, id);
  createLoginLink: Store['createLoginLink'] = (link) => loginLinks.createLoginLink(this.pool, link);
  findLoginLink: Store['findLoginLink'] = (tokenHash) => loginLinks.findLoginLink(this.pool, tokenHash);
  useLoginLink: Store['useLoginLink'] = (tokenHash, now) => loginLinks.useLoginLink(this.pool, tokenHash, now);

  // ── Reconciliation ──────────────────────────────────────────────────────────────────────

  getReconciliationState: Store['getReconciliationState'] = (source) => reconciliation.getReconciliationState(this.pool, source);
  listReconciliationStates: Store['listReconciliationStates'] = () => reconciliation.listReconciliationStates(this.pool);
  claimReconciliationRun: Store['claimReconciliationRun'] = (claim) => reconciliationClaims.claimReconciliationRun(this.pool, claim);
  renewReconciliationRun: Store['renewReconciliationRun'] = (source, owner, leaseUntil) =>
    reconciliationClaims.renewReconciliationRun(this.pool, source, owner, leaseUntil);
  releaseReconciliationRun: Store['releaseReconciliationRun'] = (source, owner) =>
    reconciliationClaims.releaseReconciliationRun(this.pool, source, owner);
  recordReconciliationStart: Store['recordReconciliationStart'] = (source, now, resume, owner) =>
    reconciliation.recordReconciliationStart(this.pool, source, now, resume, owner ?? null);
  recordReconciliationProgress: Store['recordReconciliationProgress'] = (source, resume, recovered, owner) =>
    reconciliation.recordReconciliationProgress(this.pool, source, resume, recovered, owner ?? null);
  recordReconciliationEnd: Store['recordReconciliationEnd'] = (end, owner) =>
    reconciliation.recordReconciliationEnd(this.pool, end, owner ?? null);
  recordProviderApi: Store['recordProviderApi'] = (source, apiBaseUrl) => reconciliation.recordProviderApi(this.pool, source, apiBaseUrl);

  // ── Rejections and alerts ──────────────────────────────────────────────────────────────

  recordRejection: Store['recordRejection'] = (rejection, keep) => rejections.recordRejection(this.pool, rejection, keep);
  listRejections: Store['listRejections'] = (limit, beforeId) => rejections.listRejections(this.pool, limit, beforeId);
  countRejections: Store['countRejections'] = (window) => rejections.countRejections(this.pool, window);
  recordAlert: Store['recordAlert'] = (alert) => alerts.recordAlert(this.pool, alert);
  listAlerts: Store['listAlerts'] = (options) => alerts.listAlerts(this.pool, options);
  resolveAlertBySubject: Store['resolveAlertBySubject'] = (kind, subject, now) =>
    alerts.resolveAlertBySubject(this.pool, kind, subject, now);
  listOpenAlerts: Store['listOpenAlerts'] = (kinds, limit) => alerts.listOpenAlerts(this.pool, kinds, limit);
  resolveAlert: Store['resolveAlert'] = (id, now) => alerts.resolveAlert(this.pool, id, now);
  acknowledgeAlert: Store['acknowledgeAlert'] = (ack) => alerts.acknowledgeAlert(this.pool, ack);
  muteAlert: Store['muteAlert'] = (mute) => alerts.muteAlert(this.pool, mute);
  resolveAlertsForEvent: Store['resolveAlertsForEvent'] = (eventId, kinds, now) =>
    alerts.resolveAlertsForEvent(this.pool, eventId, kinds, now);
  claimAlertsToForward: Store['claimAlertsToForward'] = (options) => outbox.claimAlertsToForward(this.pool, options);
  markAlertForwarded: Store['markAlertForwarded'] = async (id, at, transition) => {
    await outbox.markAlertForwarded(this.pool, id, at, transition);
  };
  markAlertForwardFailed: Store['markAlertForwardFailed'] = async (id, failure) => {
    await outbox.markAlertForwardFailed(this.pool, id, failure);
  };

  // ── Retention ──────────────────────────────────────────────────────────────────────────

  countPurgeable: Store['countPurgeable'] = (kind, before) => retention.countPurgeable(this.pool, kind, before);
  purgeBatch: Store['purgeBatch'] = (kind, before, limit) => retention.purgeBatch(this.pool, kind, before, limit);
}

/** The server process behind a pooled client (pg sets it on connect; its types omit it). */
function backendPid(client: pg.PoolClient): number {
  return (client as unknown as { processID: number | null }).processID ?? -1;
}
