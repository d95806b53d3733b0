/**
 * The worker: claims runnable events (up to `concurrency` at once), keeps their leases alive
 * while they run, and runs each through its pipeline. Its parts: the claim loop
 * (claim-loop.ts), the run tracker (run-tracker.ts: the events in flight, each under its lease
 * keeper, lease-keeper.ts), the wake-able sleep (wakeable-sleep.ts); here they are put together
 * and started and stopped. See ARCHITECTURE.md.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { loggerOptions } from '../core/logging.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { EventRecord } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { ClaimLoop } from './claim-loop.js';
import { RunTracker } from './run-tracker.js';
import type { RunEventResult } from './runner.js';
import type { Failpoint } from './stage-attempt.js';
import { WakeableSleep } from './wakeable-sleep.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface WorkerOptions {
  store: WorkerStore;
  pipelines: readonly PipelineDefinition[];
  /** Names the worker; each claim's lease owner is `<workerId>#<n>`. (Default: host:pid:random) */
  workerId?: string;
  /**
   * Events processed at once. Stages mostly wait on the network, so many can be in flight;
   * their checkpoint writes share transactions, so the database's connections do not bound
   * it. Measured with bench/io-bound.ts (bench/README.md): with 50 ms stages 4 → 64 gave about
   * 8×. (Default: 64)
   */
  concurrency?: number;
  /** How long a claim lasts without renewal; renewed every leaseMs/3. (Default: 30_000) */
  leaseMs?: number;
  /** Longest sleep between claim attempts when nothing wakes the worker. (Default: 1_000) */
  pollMs?: number;
  /** (Default: a pino logger at level info) */
  logger?: Logger;
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** Named crash points, for the crash tests only. (Default: none) */
  failpoint?: Failpoint;
  /** Called after each event run, for tests. (Default: none) */
  onResult?: (event: EventRecord, result: RunEventResult) => void;
  /** Where stage durations, failures and dead events are counted. (Default: not counted) */
  metrics?: WorkerMetrics;
}

export interface Worker {
  readonly id: string;
  /** Starts claiming. Calling it twice does nothing. */
  start(): void;
  /**
   * Stops claiming and waits for the running events: each finishes its current stage (or
   * that stage hits its timeout), then gives the event back. With `abort`, running stages
   * are aborted at once (their signal fires) and recorded as retriable errors.
   */
  stop(options?: { abort?: boolean }): Promise<void>;
}

/** See WorkerOptions.concurrency. */
export const DEFAULT_CONCURRENCY = 64;

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** WorkerOptions with their defaults applied. */
interface WorkerSettings {
  id: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  now: () => Date;
  logger: Logger;
}

function resolveSettings(options: WorkerOptions): WorkerSettings {
  const id = options.workerId ?? defaultWorkerId();
  return {
    id,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    leaseMs: options.leaseMs ?? 30_000,
    pollMs: options.pollMs ?? 1_000,
    now: options.now ?? (() => new Date()),
    logger: (options.logger ?? pino(loggerOptions('info', 'webpig-worker'))).child({ worker: id }),
  };
}

/** The signal stop({ abort: true }) fires: every stage in flight listens to it. */
function shutdownController(concurrency: number): AbortController {
  const shutdown = new AbortController();
  // `concurrency` listeners is the design, not a leak.
  setMaxListeners(concurrency + 10, shutdown.signal);
  return shutdown;
}

export function createWorker(options: WorkerOptions): Worker {
  const settings = resolveSettings(options);
  const { id, concurrency, leaseMs, logger } = settings;
  const { store } = options;
  const shutdown = shutdownController(concurrency);
  // One writer for all events in flight: their checkpoint writes share transactions.
  const checkpointWriter = new CheckpointWriter(store);
  const idle = new WakeableSleep();
  let stopping = false;
  const isStopping = (): boolean => stopping;
  const runs = new RunTracker({
    store,
    pipelines: options.pipelines,
    leaseMs,
    now: settings.now,
    logger,
    shutdownSignal: shutdown.signal,
    isStopping,
    writeCheckpoint: (write) => checkpointWriter.write(write),
    failpoint: options.failpoint,
    onResult: options.onResult,
    metrics: options.metrics,
    onRunSettled: idle.wake,
  });
  const claimLoop = new ClaimLoop({ ...settings, store, workerId: id, runs, idle, isStopping });
  let loopDone: Promise<void> | null = null;
  let unsubscribe: () => void = () => undefined;

  return {
    id,
    start() {
      if (loopDone) return;
      unsubscribe = store.onWake(idle.wake);
      loopDone = claimLoop.run();
      logger.info({ concurrency, leaseMs }, 'worker started');
    },
    async stop(stopOptions) {
      stopping = true;
      if (stopOptions?.abort) shutdown.abort();
      idle.wake();
      await loopDone;
      await runs.settled();
      unsubscribe();
      logger.info('worker stopped');
    },
  };
}
