import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ResolvedConfig } from '../config/types.js';
import { loggerOptions } from '../core/logging.js';
import { singleText } from '../core/texts.js';
import { alertForwarderFromConfig, type AlertForwarder } from '../engine/alert-forwarder.js';
import { startAlertConditionChecks, type AlertConditionChecks } from '../engine/alert-conditions.js';
import { retentionEnabled, startRetentionJob, type RetentionJob } from '../engine/retention.js';
import { checkReconcileSettings, startReconcileJob, type ReconcileJob } from '../engine/reconcile-job.js';
import { createWorker, type Worker } from '../engine/worker.js';
import { createWorkerMetrics } from '../engine/worker-metrics.js';
import type { Store } from '../store/store.js';
import { describeListenAddress, listenFailure, type ListenAddress } from './listen-address.js';
import { serveWorkerMetrics, type WorkerMetricsServer } from './worker-metrics-server.js';

/**
 * Creates the config's flags that do not exist yet (with their default), so a stage's flag
 * reads a stored value in every worker. For `webpig start`, `serve`, `worker` and `flags`.
 */
export async function ensureConfigFlags(store: Store, config: ResolvedConfig): Promise<void> {
  const flags = (config.flags ?? []).map((f) => ({ key: f.key, description: singleText(f.description), defaultValue: f.default ?? true }));
  if (flags.length > 0) await store.ensureFlags(flags, new Date());
}

export interface RunningService {
  /** A URL this host reaches the server at (for 0.0.0.0: 127.0.0.1); null without HTTP. */
  url: string | null;
  /** The address the server is bound to, what an operator is told; null without HTTP. */
  address: ListenAddress | null;
  app: FastifyInstance | null;
  worker: Worker | null;
  /** Where a separate worker serves its /metrics (null: not served, or it is the server's). */
  metricsUrl: string | null;
  /**
   * Stops claiming, lets running stages finish, closes the server and the store. With `abort`
   * (also while a first stop is under way) running stages are aborted at once, kept as
   * retriable WORKER_SHUTDOWN errors, and their leases given back.
   */
  stop(options?: { abort?: boolean }): Promise<void>;
}

export interface ServiceOptions {
  store: Store;
  /** Parsed and resolved once by the caller (`resolveConfig`, `loadConfigFile`); each part gets its slice. */
  config: ResolvedConfig;
  http: boolean;
  worker: boolean;
  mode?: 'production' | 'demo';
  port?: number;
  host?: string;
  concurrency?: number;
  extraPlugins?: (app: FastifyInstance) => Promise<void>;
  logLevel?: string;
  /**
   * Without HTTP (`webpig worker`): serve the worker's /metrics on this port.
   * (Default: config worker.metricsPort, else not served)
   */
  metricsPort?: number;
  /** Read for WEBPIG_METRICS_TOKEN; WEBPIG_LOG_LEVEL comes checked in `config.logLevel`. (Default: process.env) */
  env?: NodeJS.ProcessEnv;
}

/** Starts the HTTP server, the worker, or both (`webpig start`) on one store. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { store, config } = options;
  const env = options.env ?? process.env;
  const level = options.logLevel ?? config.logLevel ?? 'info';
  const metricsToken = config.server?.metricsToken ?? (env.WEBPIG_METRICS_TOKEN || undefined);
  // One registry per process: under `webpig start` the server's /metrics shows the worker's figures.
  const registry = new Registry();
  const workerMetrics = options.worker ? createWorkerMetrics(registry) : undefined;
  await ensureConfigFlags(store, config);
  // Before anything listens or claims: a wrong reconcile setting stops the start (it once left
  // the service running without its reconciliation, the error printed and the process alive).
  const reconcileJob =
    options.worker && config.reconcile && Object.keys(config.reconcile).length > 0
      ? {
          store,
          settings: config.reconcile,
          kinds: new Map(config.sources.map((source) => [source.name, source.kind])),
          sources: config.sources,
          env,
        }
      : null;
  if (reconcileJob) checkReconcileSettings(reconcileJob);
  let app: FastifyInstance | null = null;
  let url: string | null = null;
  let address: ListenAddress | null = null;
  if (options.http) {
    // Loaded only here: `webpig worker` (no HTTP) does not need the server's modules.
    const { composeServer } = await import('./app.js');
    app = await composeServer({
      store,
      config,
      mode: options.mode,
      logger: { level },
      extraPlugins: options.extraPlugins,
      metricsRegistry: registry,
      metricsToken,
    });
    const port = options.port ?? config.server?.port ?? 3000;
    const host = options.host ?? config.server?.host ?? '127.0.0.1';
    try {
      url = await app.listen({ port, host });
    } catch (err) {
      await app.close();
      const demo = options.mode === 'demo';
      throw listenFailure(err, {
        host,
        port,
        portOption: demo ? '--port N' : '--port N (or server.port in the config)',
        hostOption: demo ? '--host' : '--host (or server.host)',
      });
    }
    address = describeListenAddress(app.server.address() as AddressInfo);
  }
  // Before the worker starts: a port already in use stops the command before it claims anything.
  const metricsPort = options.metricsPort ?? config.worker?.metricsPort;
  let metricsServer: WorkerMetricsServer | null = null;
  if (!options.http && options.worker && metricsPort !== undefined) {
    collectDefaultMetrics({ register: registry, prefix: 'webpig_' });
    metricsServer = await serveWorkerMetrics({
      registry,
      port: metricsPort,
      host: config.worker?.metricsHost ?? '127.0.0.1',
      token: metricsToken,
    });
  }
  let worker: Worker | null = null;
  let forwarder: AlertForwarder | null = null;
  let conditions: AlertConditionChecks | null = null;
  let retention: RetentionJob | null = null;
  let reconcile: ReconcileJob | null = null;
  if (options.worker) {
    worker = createWorker({
      store,
      pipelines: config.pipelines,
      concurrency: options.concurrency ?? config.worker?.concurrency,
      leaseMs: config.worker?.leaseMs,
      logger: pino(loggerOptions(level, 'webpig-worker')),
      metrics: workerMetrics,
    });
    worker.start();
    forwarder = alertForwarderFromConfig(store, config.alerts, pino(loggerOptions(level, 'webpig-alerts')), workerMetrics);
    forwarder?.start();
    // Stuck, retried, error-rate and backlog alerts become issues here (and resolve), so they are
    // forwarded and shown even when nobody has the page open; so does a scheduled reconciliation
    // that stopped finishing. Without `reconcile` in the config nothing is scheduled: an overdue
    // issue left by a schedule since removed is resolved.
    conditions = startAlertConditionChecks({
      store,
      stageErrorRate: config.alerts?.stageErrorRate,
      backlogAgeSeconds: config.alerts?.backlogAgeSeconds,
      reconcile: { settings: config.reconcile ?? {} },
      everyMs: config.alerts?.checkEverySeconds === undefined ? undefined : config.alerts.checkEverySeconds * 1000,
      logger: pino(loggerOptions(level, 'webpig-alerts')),
    });
    if (config.retention && retentionEnabled(config.retention)) {
      retention = startRetentionJob({ store, policy: config.retention, logger: pino({ name: 'webpig-retention', level }) });
    }
    if (reconcileJob) reconcile = startReconcileJob({ ...reconcileJob, logger: pino(loggerOptions(level, 'webpig-reconcile')) });
  }
  let stopping: Promise<void> | null = null;
  return {
    url,
    address,
    app,
    worker,
    metricsUrl: metricsServer ? `${metricsServer.url}/metrics` : null,
    stop(options) {
      if (options?.abort) void worker?.stop({ abort: true });
      stopping ??= (async () => {
        await worker?.stop();
        await forwarder?.stop();
        await conditions?.stop();
        await metricsServer?.close();
        await retention?.stop();
        await reconcile?.stop();
        await app?.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/**
 * Runs until SIGINT/SIGTERM, then calls `stop`: running stages finish first. A second signal
 * asks `stop` to abort them (as `webpig worker` does); a third exits at once.
 */
export function stopOnSignals(stop: (options: { abort: boolean }) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let signals = 0;
    const handler = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals === 2) {
        process.stderr.write(`webpig: ${signal} received again, aborting running stages (once more exits at once)\n`);
        void stop({ abort: true });
        return;
      }
      if (signals > 2) process.exit(130);
      process.stderr.write(`\nwebpig: ${signal} received, stopping (running stages finish first; send it again to abort them)\n`);
      stop({ abort: false }).then(resolve, (err: unknown) => {
        process.stderr.write(`webpig: error while stopping: ${String(err)}\n`);
        resolve();
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
