/**
 * The worker's run tracker: the events in flight, each run under its lease keeper, and how many
 * of the worker's slots they take. The claim loop fills the free slots; stop() waits for the runs.
 */
import type { Logger } from 'pino';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { EventRecord } from '../core/types.js';
import type { CheckpointWrite } from '../store/store.js';
import type { WorkerStore } from '../store/store-roles.js';
import { keepLease } from './lease-keeper.js';
import { runEvent, type RunEventResult } from './runner.js';
import type { Failpoint } from './stage-attempt.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** What every run of one worker shares. */
export interface RunTrackerOptions {
  store: WorkerStore;
  pipelines: readonly PipelineDefinition[];
  leaseMs: number;
  now: () => Date;
  logger: Logger;
  /** Aborts every running stage (stop({ abort: true })). */
  shutdownSignal: AbortSignal;
  isStopping: () => boolean;
  /** The worker's group commit: the checkpoint writes of all its runs share transactions. */
  writeCheckpoint: (write: CheckpointWrite) => Promise<EventRecord | null>;
  failpoint?: Failpoint;
  onResult?: (event: EventRecord, result: RunEventResult) => void;
  metrics?: WorkerMetrics;
  /** Called when a run settles: its slot is free (the claim loop's wake-up). */
  onRunSettled: () => void;
}

export class RunTracker {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: RunTrackerOptions) {}

  /** Slots taken: events claimed and not yet settled. */
  get count(): number {
    return this.inFlight.size;
  }

  /** Starts one claimed event's run (its lease owned by `owner`); it holds a slot until it settles. */
  start(event: EventRecord, owner: string): void {
    const run = this.runUnderLease(event, owner).finally(() => {
      this.inFlight.delete(run);
      this.options.onRunSettled();
    });
    this.inFlight.add(run);
  }

  /** Resolves when every run started so far has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Runs one event while its lease keeper renews the lease; never rejects. */
  private async runUnderLease(event: EventRecord, owner: string): Promise<void> {
    const { store, leaseMs, now, logger } = this.options;
    const lease = keepLease(store, event.id, owner, leaseMs, now, logger);
    try {
      this.report(event, await this.run(event, owner, lease.signal));
    } catch (err) {
      // Left as is: the lease runs out and the event is resumed from its checkpoints. Releasing
      // it now could spin on a persistent failure.
      logger.error({ eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'event run failed');
    } finally {
      lease.stop();
    }
  }

  private run(event: EventRecord, owner: string, leaseSignal: AbortSignal): Promise<RunEventResult> {
    const { metrics } = this.options;
    return runEvent({
      store: this.options.store,
      pipelines: this.options.pipelines,
      event,
      workerId: owner,
      logger: this.options.logger,
      shutdownSignal: this.options.shutdownSignal,
      leaseSignal,
      isStopping: this.options.isStopping,
      now: this.options.now,
      failpoint: this.options.failpoint,
      onStageFinished: metrics ? (o) => metrics.observeStage(o) : undefined,
      writeCheckpoint: this.options.writeCheckpoint,
    });
  }

  /** Counts a dead event and tells the test hook. */
  private report(event: EventRecord, result: RunEventResult): void {
    if (result.status === 'dead') this.options.metrics?.eventDead(result.event.pipeline);
    this.options.onResult?.(event, result);
  }
}
