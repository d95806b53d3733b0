import type { Store } from './store.js';

/**
 * The Store split by who calls it. A caller takes the role it needs, so what it may touch is
 * written in its signature and a fake for a test has only that to implement. `Store` is the
 * intersection of the roles (checked at the bottom); a method may serve several roles.
 */

/** Opening, migrating, health and shutdown: the service's start-up, the CLI, `/readyz`. */
export type StoreLifecycle = Pick<Store, 'dialect' | 'migrate' | 'schemaVersion' | 'close' | 'ping' | 'assertWritable' | 'queueStats'>;

/**
 * Ingestion (src/server/ingest): stores deliveries (in as many batches at once as the store says), logs refusals, reads the queue's depth.
 * It writes with storeDeliveries; insertEvents, the same batch write returning the records, stays here for the benches and tests that read them.
 */
export type IngestStore = Pick<Store, 'writeBatchesInFlight' | 'storeDeliveries' | 'insertEvents' | 'recordRejection' | 'queueStats'>;

/** The engine's workers (worker, runner, checkpoint writer, stage context): claim, run, checkpoint, finish. */
export type WorkerStore = Pick<
  Store,
  | 'writeBatchesInFlight'
  | 'claimNextEvent'
  | 'claimNextEvents'
  | 'renewLease'
  | 'releaseLease'
  | 'finishEvent'
  | 'nextWakeAt'
  | 'onWake'
  | 'recordStageStart'
  | 'recordStageOutcome'
  | 'writeCheckpoints'
  | 'getCheckpoints'
  | 'appendEventLogs'
  | 'getEntityState'
  | 'setEntityState'
  | 'getFlag'
  | 'recordAlert'
  | 'resolveAlertsForEvent'
>;

/** The engine's background jobs: alert checks and forwarding, reconciliation, retention. */
export type JobStore = Pick<
  Store,
  | 'queueStats'
  | 'getEvent'
  | 'findEventByProviderId'
  | 'insertEvent'
  | 'listEvents'
  | 'attemptSamples'
  | 'recordAlert'
  | 'resolveAlert'
  | 'resolveAlertBySubject'
  | 'listOpenAlerts'
  | 'claimAlertsToForward'
  | 'markAlertForwarded'
  | 'markAlertForwardFailed'
  | 'getReconciliationState'
  | 'claimReconciliationRun'
  | 'renewReconciliationRun'
  | 'releaseReconciliationRun'
  | 'recordReconciliationStart'
  | 'recordReconciliationProgress'
  | 'recordReconciliationEnd'
  | 'recordProviderApi'
  | 'countPurgeable'
  | 'purgeBatch'
>;

/** Signing in (src/server/auth): API tokens, sessions, one-time links, and auditing them. */
export type AccessStore = Pick<
  Store,
  | 'appendAudit'
  | 'createApiToken'
  | 'findApiTokenByHash'
  | 'listApiTokens'
  | 'revokeApiToken'
  | 'touchApiToken'
  | 'createSession'
  | 'getSession'
  | 'deleteSession'
  | 'createLoginLink'
  | 'findLoginLink'
  | 'useLoginLink'
>;

/** Operators (the HTTP API, the CLI, engine operations and bulk actions): read, retry, re-run, flag, audit. */
export type OperatorStore = Pick<
  Store,
  | 'queueStats'
  | 'onWake'
  | 'getEvent'
  | 'listEvents'
  | 'countEvents'
  | 'eventTotals'
  | 'countEventsBySource'
  | 'listEventSources'
  | 'getEventSummaries'
  | 'markEventHandled'
  | 'requeueEvent'
  | 'resetStage'
  | 'getCheckpoints'
  | 'getCheckpointsForEvents'
  | 'getEventLogs'
  | 'getStageExchanges'
  | 'appendEventLogs'
  | 'attemptSamples'
  | 'ensureFlags'
  | 'listFlags'
  | 'getFlag'
  | 'setFlag'
  | 'flagHistory'
  | 'appendAudit'
  | 'listAudit'
  | 'listApiTokens'
  | 'revokeApiToken'
  | 'listRejections'
  | 'countRejections'
  | 'recordAlert'
  | 'listAlerts'
  | 'resolveAlert'
  | 'acknowledgeAlert'
  | 'muteAlert'
  | 'getReconciliationState'
  | 'listReconciliationStates'
>;

/** Every Store member belongs to a role: a method added to Store without one fails to compile here. */
type RolesCover = Exclude<keyof Store, keyof (StoreLifecycle & IngestStore & WorkerStore & JobStore & AccessStore & OperatorStore)>;
type MustBeNever<T extends never> = T;
export type StoreRolesCoverEveryMethod = MustBeNever<RolesCover>;
