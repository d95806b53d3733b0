import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { resolveConfig } from '../config/resolve.js';
import type { ResolvedConfig, WebpigConfig } from '../config/types.js';
import { loggerOptions } from '../core/logging.js';
import type { Store } from '../store/store.js';
import { dashboardPlugin } from '../dashboard/plugin.js';
import { apiPlugin } from '../server/api/plugin.js';
import { fastifyTimeoutOptions, limitConnectionsPerAddress, resolveServerLimits } from '../server/connection-limits.js';
import { answerFrameworkError, installErrorHandler } from '../core/http-errors.js';
import { ingestPlugin } from '../server/ingest/plugin.js';
import { registerOpsRoutes } from '../server/ops-routes.js';
import { registerQueueGauges } from '../server/queue-metrics.js';

export interface BuildServerOptions {
  store: Store;
  /** The config as written (`defineConfig({...})`): parsed and resolved here, once. */
  config: WebpigConfig;
  /** 'demo' enables the development sign-in; nothing else differs. (Default: 'production') */
  mode?: 'production' | 'demo';
  /** (Default: pino at level info; false silences it) */
  logger?: boolean | { level: string };
  /**
   * Registry served at /metrics; pass the worker's (createWorkerMetrics) to show its figures
   * beside the server's. (Default: a new one)
   */
  metricsRegistry?: Registry;
  /** Overrides config server.metricsToken (the CLI passes WEBPIG_METRICS_TOKEN here). */
  metricsToken?: string;
  /** Extra routes mounted on the same server (the demo's sandbox and example shops). */
  extraPlugins?: (app: FastifyInstance) => Promise<void>;
  now?: () => Date;
}

/** What `composeServer` takes: the options of `buildServer`, with the config already resolved. */
export interface ComposeServerOptions extends Omit<BuildServerOptions, 'config'> {
  config: ResolvedConfig;
}

/**
 * The HTTP server, for a config as written (the public API): the config is parsed and resolved
 * here (`resolveConfig`, reading process.env for the OIDC client secret), then `composeServer`.
 * A bad config throws one ConfigError naming every field at fault.
 */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const config = resolveConfig(options.config, 'the config given to buildServer', { env: process.env });
  return composeServer({ ...options, config });
}

/**
 * The HTTP server: webhook ingestion, the JSON API and sign-in, the dashboard, /metrics. It is
 * composition, above the server and the dashboard it puts together, so neither imports the other.
 * Each part receives its slice of the resolved config and checks nothing again.
 */
export async function composeServer(options: ComposeServerOptions): Promise<FastifyInstance> {
  const { store, config } = options;
  // Secrets and personal data never reach the log: see src/core/logging.ts.
  const level = options.logger === false || options.logger === true || options.logger === undefined ? 'info' : options.logger.level;
  const logger = options.logger === false ? false : loggerOptions(level);
  // X-Forwarded-For is believed only when a proxy is really in front (config server.trustProxy),
  // otherwise a client could forge the address written to the audit and rejection logs.
  const limits = resolveServerLimits(config.server);
  const app = Fastify({
    logger,
    trustProxy: config.server?.trustProxy ?? false,
    frameworkErrors: answerFrameworkError,
    ...fastifyTimeoutOptions(limits),
  });
  limitConnectionsPerAddress(app.server, limits);
  installErrorHandler(app);

  const metrics = options.metricsRegistry ?? new Registry();
  if (!metrics.getSingleMetric('webpig_process_cpu_seconds_total')) collectDefaultMetrics({ register: metrics, prefix: 'webpig_' });
  registerQueueGauges(metrics, store, options.now ?? (() => new Date()), app.log);
  registerOpsRoutes(app, { store, registry: metrics, metricsToken: options.metricsToken ?? config.server?.metricsToken });

  await app.register(ingestPlugin, {
    store,
    sources: config.sources,
    bodyLimitBytes: config.server?.bodyLimitBytes,
    maxQueuedEvents: config.server?.maxQueuedEvents,
    metricsRegistry: metrics,
    ...(options.now ? { now: options.now } : {}),
  });
  await app.register(apiPlugin, {
    store,
    mode: options.mode ?? 'production',
    config: {
      columns: config.columns,
      flags: config.flags,
      auth: config.auth,
      pipelines: config.pipelines,
      // Names and kinds only: the API has no use for a source's secrets.
      sources: config.sources.map(({ name, kind }) => ({ name, kind })),
      dashboard: config.dashboard,
      publicUrl: config.server?.publicUrl,
      stageErrorRate: config.alerts?.stageErrorRate,
      backlogAgeSeconds: config.alerts?.backlogAgeSeconds,
    },
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.extraPlugins) await options.extraPlugins(app);
  await app.register(dashboardPlugin, {});
  return app;
}
