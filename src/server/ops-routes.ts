import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { errorMessage, WebpigError } from '../core/errors.js';
import type { StoreLifecycle } from '../store/store-roles.js';
import { errorBody } from './http-errors.js';
import { isProxied, metricsVerdict } from './metrics-access.js';

export interface OpsRoutesOptions {
  store: StoreLifecycle;
  registry: Registry;
  /** See server.metricsToken. (Default: none: loopback clients only) */
  metricsToken?: string;
  /** How long /readyz waits for the database. (Default: 1_000 ms) */
  readyTimeoutMs?: number;
}

/**
 * What load balancers, orchestrators and Prometheus ask: /healthz (the process answers),
 * /readyz (and so does its database) and /metrics. None needs a session: health carries no
 * data, and /metrics has its own rule (metrics-access.ts).
 */
export function registerOpsRoutes(app: FastifyInstance, options: OpsRoutesOptions): void {
  const { store, registry } = options;
  const readyTimeoutMs = options.readyTimeoutMs ?? 1_000;

  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const started = performance.now();
    try {
      await store.ping(readyTimeoutMs);
      return { status: 'ok', database: { status: 'ok', ms: Math.round(performance.now() - started) } };
    } catch (err) {
      const code = err instanceof WebpigError ? err.code : 'DATABASE_UNAVAILABLE';
      return reply.status(503).send({
        status: 'unavailable',
        database: { status: 'unavailable', ms: Math.round(performance.now() - started), code, message: errorMessage(err) },
      });
    }
  });

  app.get('/metrics', async (request, reply) => {
    const verdict = metricsVerdict(
      { socketAddress: request.socket.remoteAddress, authorization: request.headers.authorization, proxied: isProxied(request.headers) },
      options.metricsToken,
    );
    if (!verdict.allowed) return reply.status(verdict.status).send(errorBody(verdict.code, verdict.message));
    return reply
      .header('cache-control', 'no-store')
      .type(registry.contentType)
      .send(await registry.metrics());
  });
}
