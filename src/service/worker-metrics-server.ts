import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { WebpigError } from '../core/errors.js';
import { isProxied, metricsVerdict } from '../server/metrics-access.js';

export interface WorkerMetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A separate `webpig worker` has no HTTP server, and its counters (stage durations, failures,
 * dead events, alerts forwarded) live in its own process: this serves them on their own port,
 * GET /metrics under the same rule as the server's (token, else loopback only), plus /healthz.
 */
export async function serveWorkerMetrics(options: {
  registry: Registry;
  port: number;
  host: string;
  token: string | undefined;
}): Promise<WorkerMetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const json = (status: number, body: unknown): void => send(status, 'application/json; charset=utf-8', JSON.stringify(body));
    if (request.method !== 'GET') return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'only GET' } });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path !== '/metrics') return json(404, { error: { code: 'NOT_FOUND', message: `no route for GET ${path}` } });
    const verdict = metricsVerdict(
      { socketAddress: request.socket.remoteAddress, authorization: request.headers.authorization, proxied: isProxied(request.headers) },
      options.token,
    );
    if (!verdict.allowed) return json(verdict.status, { error: { code: verdict.code, message: verdict.message } });
    options.registry.metrics().then(
      (text) => send(200, options.registry.contentType, text),
      () => json(500, { error: { code: 'INTERNAL', message: 'metrics could not be collected' } }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new WebpigError(
          'METRICS_PORT_UNAVAILABLE',
          `cannot serve the worker's /metrics on ${options.host}:${options.port} (${err.code ?? err.message}): ` +
            'choose another --metrics-port / worker.metricsPort, or leave it unset',
          { cause: err },
        ),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
