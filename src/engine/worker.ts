/**
 * The worker: claims runnable events (up to `concurrency` at once), keeps their leases alive
 * while they run, and runs each through its pipeline. See ARCHITECTURE.md.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { loggerOptions } from '../core/logging.js';
import { LeaseLostError } from '../core/errors.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { EventRecord } from '../core/types.js';
import type { CheckpointWrite } from '../store/store.js';
import type { WorkerStore } from '../store/store-roles.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { runEvent, type RunEventResult } from './runner.js';
import type { Failpoint } from './stage-attempt.js';
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

/** Claims taken in one transaction, at most (a burst of free slots fills in a few commits). */
const MAX_CLAIM_BATCH = 16;

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** The claim loop's sleep, cut short by a wake-up (a new event, a finished run, stop()). */
class WakeableSleep {
  private wakeUp: (() => void) | null = null;
  // A wake-up that came while the loop was busy claiming: the next sleep returns at once.
  private wokenWhileBusy = false;

  readonly wake = (): void => {
    const resolve = this.wakeUp;
    this.wakeUp = null;
    if (resolve) resolve();
    else this.wokenWhileBusy = true;
  };

  /** Forgets wake-ups from before now (the claim that follows sees their work). */
  forgetEarlierWakeUps(): void {
    this.wokenWhileBusy = false;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.wokenWhileBusy) {
        this.wokenWhileBusy = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * The lease keeper: renews one claimed event's lease every leaseMs/3 while it runs. Its
 * signal aborts with LeaseLostError when a renewal says the lease is someone else's, or when
 * renewals kept failing (a database hiccup) until the lease would have run out.
 */
function keepLease(
  store: WorkerStore,
  eventId: number,
  owner: string,
  leaseMs: number,
  now: () => Date,
  logger: Logger,
): { signal: AbortSignal; stop: () => void } {
  const lease = new AbortController();
  let lastRenewal = Date.now();
  let renewing = false;
  const renew = setInterval(
    () => {
      if (renewing || lease.signal.aborted) return;
      renewing = true;
      store
        .renewLease(eventId, owner, leaseMs, now())
        .then(
          (held) => {
            if (held) lastRenewal = Date.now();
            else lease.abort(new LeaseLostError(eventId, owner));
          },
          (err: unknown) => {
            // A database hiccup is not a lost lease yet; it is once the lease has run out.
            logger.warn({ eventId, err: String(err) }, 'lease renewal failed');
            if (Date.now() - lastRenewal >= leaseMs) lease.abort(new LeaseLostError(eventId, owner));
          },
        )
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  return { signal: lease.signal, stop: () => clearInterval(renew) };
}

export function createWorker(options: WorkerOptions): Worker {
  const { store, pipelines } = options;
  const id = options.workerId ?? defaultWorkerId();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1_000;
  const now = options.now ?? (() => new Date());
  const logger = (options.logger ?? pino(loggerOptions('info', 'webpig-worker'))).child({ worker: id });
  const shutdown = new AbortController();
  // Every stage in flight listens to it: `concurrency` listeners is the design, not a leak.
  setMaxListeners(concurrency + 10, shutdown.signal);
  // One writer for all events in flight: their checkpoint writes share transactions.
  const checkpointWriter = new CheckpointWriter(store);
  const writeCheckpoint = (write: CheckpointWrite): Promise<EventRecord | null> => checkpointWriter.write(write);
  const active = new Set<Promise<void>>();
  const idle = new WakeableSleep();
  let started = false;
  let stopping = false;
  let loopDone: Promise<void> = Promise.resolve();
  let unsubscribe: () => void = () => undefined;

  // Each claim writes its own lease owner, `<worker id>#<n>`. If this worker oversleeps a
  // lease (a blocked event loop, a paused VM) its claim loop may take the same event again;
  // with one name for both runs, the first run's renewals and fenced writes would still pass
  // and two runs of one event would interleave. With a name per claim the first run is
  // fenced out exactly as if another worker had taken over.
  let claims = 0;

  async function process(event: EventRecord, owner: string): Promise<void> {
    const lease = keepLease(store, event.id, owner, leaseMs, now, logger);
    try {
      const result = await runEvent({
        store,
        pipelines,
        event,
        workerId: owner,
        logger,
        shutdownSignal: shutdown.signal,
        leaseSignal: lease.signal,
        isStopping: () => stopping,
        now,
        failpoint: options.failpoint,
        onStageFinished: options.metrics ? (o) => options.metrics?.observeStage(o) : undefined,
        writeCheckpoint,
      });
      if (result.status === 'dead') options.metrics?.eventDead(result.event.pipeline);
      options.onResult?.(event, result);
    } catch (err) {
      // Left as is: the lease runs out and the event is resumed from its checkpoints. Releasing
      // it now could spin on a persistent failure.
      logger.error({ eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'event run failed');
    } finally {
      lease.stop();
    }
  }

  function track(event: EventRecord, owner: string): void {
    const task = process(event, owner).finally(() => {
      active.delete(task);
      idle.wake();
    });
    active.add(task);
  }

  /** Claims until every slot is taken or nothing is claimable; each free slot in one claim transaction, at most MAX_CLAIM_BATCH. */
  async function claimFreeSlots(): Promise<void> {
    while (!stopping && active.size < concurrency) {
      const owners = Array.from({ length: Math.min(MAX_CLAIM_BATCH, concurrency - active.size) }, () => `${id}#${++claims}`);
      let events: EventRecord[];
      try {
        events = await store.claimNextEvents({ workerIds: owners, leaseMs, now: now() });
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'claim failed');
        return;
      }
      // The store claims in the owners' order and stops at the first miss: event i is owners[i]'s.
      events.forEach((event, i) => track(event, owners[i]!));
      if (events.length < owners.length) return;
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      idle.forgetEarlierWakeUps();
      await claimFreeSlots();
      if (stopping) break;
      await idle.sleep(active.size >= concurrency ? pollMs : await idleDelay());
    }
  }

  /** How long to sleep with nothing claimable: until the next scheduled retry, at most pollMs. */
  async function idleDelay(): Promise<number> {
    try {
      const next = await store.nextWakeAt();
      // A due time in the past belongs to an event we could not claim (its entity is busy):
      // only a future time may shorten the sleep.
      const untilNext = next ? next.getTime() - now().getTime() : Infinity;
      return untilNext > 0 ? Math.min(pollMs, untilNext) : pollMs;
    } catch {
      return pollMs;
    }
  }

  return {
    id,
    start() {
      if (started) return;
      started = true;
      unsubscribe = store.onWake(idle.wake);
      loopDone = loop();
      logger.info({ concurrency, leaseMs }, 'worker started');
    },
    async stop(stopOptions) {
      stopping = true;
      if (stopOptions?.abort) shutdown.abort();
      idle.wake();
      await loopDone;
      await Promise.all([...active]);
      unsubscribe();
      logger.info('worker stopped');
    },
  };
}
