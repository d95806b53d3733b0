/**
 * `webpig worker [--concurrency N]`: runs events through their pipelines (and forwards alerts,
 * when configured) until SIGTERM/SIGINT. It is `webpig start` without the HTTP server: the same
 * service and the same signals (first: running stages finish, leases given back; second: they
 * are aborted; third: exit at once).
 * Deps: see cli-deps.ts (the same object every engine command module receives).
 */
import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../engine/worker.js';
import { startService, stopOnSignals } from '../../service/start.js';
import { parsePort } from './serve.js';
import { parsePositiveInt, type EngineCliDeps } from './cli-deps.js';

export type { EngineCliDeps } from './cli-deps.js';

export function register(program: Command, deps: EngineCliDeps): void {
  program
    .command('worker')
    .description('process events through their pipelines until stopped (SIGTERM/SIGINT)')
    .option('--concurrency <n>', `events processed at once (Default: config.worker.concurrency, else ${DEFAULT_CONCURRENCY})`)
    .option('--metrics-port <port>', "serve this worker's /metrics on this port (Default: config.worker.metricsPort, else none)")
    .action(async (opts: { concurrency?: string; metricsPort?: string }) => {
      const concurrency = opts.concurrency === undefined ? undefined : parsePositiveInt(opts.concurrency, '--concurrency');
      const metricsPort = opts.metricsPort === undefined ? undefined : parsePort(opts.metricsPort, '--metrics-port');
      const config = await deps.loadConfig();
      const store = await deps.openStore();
      const service = await startService({ store, config, http: false, worker: true, concurrency, metricsPort });
      // On stderr, as `start`'s listening line: stdout is the JSON log lines only.
      if (service.metricsUrl) process.stderr.write(`webpig worker metrics at ${service.metricsUrl}\n`);
      await stopOnSignals((options) => service.stop(options));
    });
}
