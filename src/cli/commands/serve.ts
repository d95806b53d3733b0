import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { parsePositiveInt, UsageError } from './cli-deps.js';
import { DEFAULT_CONCURRENCY } from '../../engine/worker.js';
import { listeningLine } from '../../service/listen-address.js';
import { startService, stopOnSignals } from '../../service/start.js';

interface ServeOptions {
  port?: string;
  host?: string;
  concurrency?: string;
}

async function run(deps: CliDeps, options: ServeOptions, parts: { http: boolean; worker: boolean }): Promise<void> {
  const port = options.port === undefined ? undefined : parsePort(options.port);
  const concurrency = options.concurrency === undefined ? undefined : parsePositiveInt(options.concurrency, '--concurrency');
  const config = await deps.loadConfig();
  const store = await deps.openStore();
  const service = await startService({ store, config, ...parts, port, host: options.host, concurrency });
  // For the person at the terminal, on stderr: stdout carries only the JSON log lines, which a
  // log shipper (docker, journald's JSON parsing) reads one object a line.
  if (service.address) process.stderr.write(`${listeningLine(service.address)}\n`);
  await stopOnSignals((options) => service.stop(options));
}

export function parsePort(value: string, flag = '--port'): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`${flag} must be a number from 0 to 65535, got "${value}"`);
  }
  return Number(value);
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command('start')
    .description('run the HTTP server and a worker in one process')
    .option('-p, --port <port>', 'port (Default: config server.port, else 3000)')
    .option('--host <host>', 'interface to listen on (Default: 127.0.0.1)')
    .option('--concurrency <n>', `events processed at once (Default: config.worker.concurrency, else ${DEFAULT_CONCURRENCY})`)
    .action((options: ServeOptions) => run(deps, options, { http: true, worker: true }));
  program
    .command('serve')
    .description('run only the HTTP server (ingestion, API, dashboard); run workers separately')
    .option('-p, --port <port>', 'port (Default: config server.port, else 3000)')
    .option('--host <host>', 'interface to listen on (Default: 127.0.0.1)')
    .action((options: ServeOptions) => run(deps, options, { http: true, worker: false }));
}
