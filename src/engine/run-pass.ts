/**
 * The shapes a run of one claimed event passes around (runner.ts runs it, run-endings.ts ends
 * it): what the caller gives, what it gets back, and the pass every step reads and updates.
 */
import type { Logger } from 'pino';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { CheckpointRecord, CheckpointStatus, EventRecord, EventSummary, JsonValue } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import type { StageFailure } from './backoff.js';
import type { RunJournal, WriteCheckpoint } from './run-journal.js';
import type { Failpoint } from './stage-attempt.js';
import type { StageObservation } from './worker-metrics.js';

export interface RunEventOptions {
  store: WorkerStore;
  pipelines: readonly PipelineDefinition[];
  /** An event this worker has just claimed (it holds the lease). */
  event: EventRecord;
  workerId: string;
  logger: Logger;
  /** Fires when the worker is told to abort running stages. (Default: never) */
  shutdownSignal?: AbortSignal;
  /** Fires, with a LeaseLostError, when the lease could not be renewed. (Default: never) */
  leaseSignal?: AbortSignal;
  /** True once the worker is stopping: no further stage starts and the lease is released. */
  isStopping?: () => boolean;
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** Named crash points for tests. (Default: none) */
  failpoint?: Failpoint;
  /** Told of each stage attempt that ran to an outcome, for metrics. (Default: none) */
  onStageFinished?: (observation: StageObservation) => void;
  /**
   * Where the run's checkpoint writes go: the worker's group-committing CheckpointWriter.
   * (Default: each write its own `store.writeCheckpoints` transaction)
   */
  writeCheckpoint?: WriteCheckpoint;
}

export type RunEventResult =
  | { status: 'succeeded' | 'retrying' | 'dead' | 'ignored'; event: EventRecord; stagesRun: string[] }
  /** The worker stopped between stages and gave the event back to the queue. */
  | { status: 'released'; stagesRun: string[] }
  /** Another worker owns the event now; this one wrote nothing more. */
  | { status: 'lease_lost'; stagesRun: string[] };

/** One pass over a claimed event: what every step below reads and updates. */
export interface Pass {
  options: RunEventOptions;
  event: EventRecord;
  pipeline: PipelineDefinition;
  journal: RunJournal;
  logger: Logger;
  now: () => Date;
  /** Named crash points (tests only); none: no names are built and nothing is awaited. */
  failpoint: Failpoint | undefined;
  checkpoints: Map<string, CheckpointRecord>;
  /** Each stage's status as this pass leaves it. */
  statusNow: Map<string, CheckpointStatus>;
  outputs: Record<string, JsonValue | null>;
  summary: EventSummary;
  failures: StageFailure[];
  stagesRun: string[];
}
