import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { WebpigConfig } from '../core/config.js';
import type { Store } from '../store/store.js';
import { dashboardPlugin } from '../dashboard/plugin.js';
import { apiPlugin } from './api/plugin.js';
import { fastifyTimeoutOptions, limitConnectionsPerAddress, resolveServerLimits } from './connection-limits.js';
import { installErrorHandler } from './http-errors.js';
import { ingestPlugin } from './ingest/plugin.js';

export interface BuildServerOptions {
  store: Store;
  config: WebpigConfig;
  /** 'demo' enables the development sign-in; nothing else differs. (Default: 'production') */
  mode?: 'production' | 'demo';
  /** (Default: pino at level info; false silences it) */
  logger?: boolean | { level: string };
  /** Extra routes mounted on the same server (the demo's sandbox and example shops). */
  extraPlugins?: (app: FastifyInstance) => Promise<void>;
  now?: () => Date;
}

/**
 * Secrets never reach logs: request headers that carry them are redacted by pino, and the
 * ingestion and API layers never log bodies.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-signature"]',
  'req.headers["x-csrf-token"]',
];

/** The HTTP server: webhook ingestion, the JSON API and sign-in, the dashboard, /metrics. */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const { store, config } = options;
  const logger = options.logger === false ? false : { level: 'info', ...(options.logger === true ? {} : options.logger), redact: REDACTED_PATHS };
  // X-Forwarded-For is believed only when a proxy is really in front (config server.trustProxy),
  // otherwise a client could forge the address written to the audit and rejection logs.
  const limits = resolveServerLimits(config.server);
  const app = Fastify({ logger, trustProxy: config.server?.trustProxy ?? false, ...fastifyTimeoutOptions(limits) });
  limitConnectionsPerAddress(app.server, limits);
  installErrorHandler(app);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'webpig_' });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  await app.register(ingestPlugin, {
    store,
    sources: config.sources,
    bodyLimitBytes: config.server?.bodyLimitBytes,
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
      dashboard: config.dashboard,
      publicUrl: config.server?.publicUrl,
      stageErrorRate: config.alerts?.stageErrorRate,
    },
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.extraPlugins) await options.extraPlugins(app);
  await app.register(dashboardPlugin, {});
  return app;
}
