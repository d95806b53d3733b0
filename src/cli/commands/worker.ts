/**
 * `webpig worker [--concurrency N]`: runs events through their pipelines until SIGTERM/SIGINT.
 * The first signal stops claiming and lets running stages finish (or hit their timeout), then
 * gives the leases back; a second signal aborts running stages at once.
 * Deps: see cli-deps.ts (the same object every engine command module receives).
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import type { WebpigConfig } from '../../core/config.js';
import type { Store } from '../../store/store.js';
import { alertForwarderFromConfig } from '../../engine/alert-forwarder.js';
import { createWorker, type Worker } from '../../engine/worker.js';
import { parsePositiveInt, runAction, type EngineCliDeps } from './cli-deps.js';

export type { EngineCliDeps } from './cli-deps.js';

/**
 * Creates the config's flags that do not exist yet (with their default), so a stage's flag
 * reads a stored value in every worker. Also for `webpig start`.
 */
export async function ensureConfigFlags(store: Store, config: WebpigConfig): Promise<void> {
  const flags = (config.flags ?? []).map((f) => ({ key: f.key, description: f.description, defaultValue: f.default ?? true }));
  if (flags.length > 0) await store.ensureFlags(flags, new Date());
}

/** Builds the worker from the config (concurrency from the flag wins over config.worker). */
export function workerFromConfig(store: Store, config: WebpigConfig, concurrency?: number): Worker {
  return createWorker({
    store,
    pipelines: config.pipelines,
    concurrency: concurrency ?? config.worker?.concurrency,
    leaseMs: config.worker?.leaseMs,
    logger: pino({ name: 'webpig-worker' }),
  });
}

export function register(program: Command, deps: EngineCliDeps): void {
  program
    .command('worker')
    .description('process events through their pipelines until stopped (SIGTERM/SIGINT)')
    .option('--concurrency <n>', 'events processed at once (Default: config.worker.concurrency, else 4)')
    .action((opts: { concurrency?: string }) =>
      runAction(async () => {
        const concurrency = opts.concurrency === undefined ? undefined : parsePositiveInt(opts.concurrency, '--concurrency');
        const config = await deps.loadConfig();
        const store = await deps.openStore();
        await ensureConfigFlags(store, config);
        const worker = workerFromConfig(store, config, concurrency);
        const forwarder = alertForwarderFromConfig(store, config.alerts);
        worker.start();
        forwarder?.start();
        await new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = (signal: NodeJS.Signals): void => {
            signals += 1;
            if (signals === 1) {
              process.stderr.write(`webpig: ${signal} received, stopping (running stages finish first; send it again to abort them)\n`);
              worker.stop().then(resolve, resolve);
            } else {
              process.stderr.write(`webpig: ${signal} received again, aborting running stages\n`);
              void worker.stop({ abort: true });
            }
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
        await forwarder?.stop();
        await store.close();
      }),
    );
}
