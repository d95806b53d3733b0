/**
 * Runs one claimed event through its pipeline. The protocol is explained in ARCHITECTURE.md;
 * in short: choose the pipeline, gate on the entity state machine, then every stage in
 * dependency order under the checkpoint protocol, then finish the event.
 */
import type { Logger } from 'pino';
import { errorMessage, LeaseLostError, StoreError, WebpigError } from '../core/errors.js';
import { stageRetryPolicy, type PipelineDefinition, type RetryPolicy, type StageDefinition } from '../core/pipeline.js';
import { decideTransition } from '../core/state-machine.js';
import { mergeSummary } from '../core/summary.js';
import type {
  CheckpointRecord,
  CheckpointStatus,
  ErrorInfo,
  EventRecord,
  EventSummary,
  HttpExchange,
  IgnoreReason,
  JsonValue,
  SkipReason,
} from '../core/types.js';
import type { EventFinish, Store } from '../store/store.js';
import { retryDelayMs } from './backoff.js';
import { classifyError, requestedRetryDelayMs } from './errors.js';
import { recordDeadAlert, RESOLVED_ON_SUCCESS } from './event-alerts.js';
import { RunJournal, type WriteCheckpoint } from './run-journal.js';
import { runStageAttempt, type Failpoint } from './stage-attempt.js';
import { idempotencyKeyFor } from './stage-context.js';
import { createStageRecorder } from './stage-recorder.js';
import { stageOrder } from './stage-order.js';
import type { StageObservation } from './worker-metrics.js';

export interface RunEventOptions {
  store: Store;
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

/** One write, one transaction: for a run without a worker's writer. */
function writeAlone(store: Store): WriteCheckpoint {
  return async (write) => {
    const [result] = await store.writeCheckpoints([write]);
    if (!result) throw new Error('the store returned no result for a checkpoint write');
    if (!result.ok) throw result.error;
    return result.event;
  };
}

export type RunEventResult =
  | { status: 'succeeded' | 'retrying' | 'dead' | 'ignored'; event: EventRecord; stagesRun: string[] }
  /** The worker stopped between stages and gave the event back to the queue. */
  | { status: 'released'; stagesRun: string[] }
  /** Another worker owns the event now; this one wrote nothing more. */
  | { status: 'lease_lost'; stagesRun: string[] };

/** The event's pipeline: the one it was first handled by, else the first whose match is true. */
export function choosePipeline(
  pipelines: readonly PipelineDefinition[],
  event: EventRecord,
): PipelineDefinition | undefined {
  if (event.pipeline) {
    const chosen = pipelines.find((p) => p.name === event.pipeline);
    if (chosen) return chosen;
  }
  return pipelines.find((p) => p.match(event));
}

/** A pipeline's own code (match, notApplicable, the entity's targetState) threw. */
class PipelineCodeError extends WebpigError {
  constructor(what: string, cause: unknown) {
    super('PIPELINE_CODE_ERROR', `${what} threw: ${errorMessage(cause)}`, { cause });
  }
}

function userCode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new PipelineCodeError(what, err);
  }
}

const DONE: ReadonlySet<CheckpointStatus> = new Set(['success', 'skipped']);
const never = new AbortController().signal;

export async function runEvent(options: RunEventOptions): Promise<RunEventResult> {
  const stagesRun: string[] = [];
  try {
    return await runClaimedEvent(options, stagesRun);
  } catch (err) {
    if (err instanceof LeaseLostError) {
      options.logger.warn({ eventId: options.event.id, err: err.message }, 'lease lost; leaving the event to its new owner');
      return { status: 'lease_lost', stagesRun };
    }
    if (err instanceof PipelineCodeError) return deadByPipelineCode(options, err, stagesRun);
    throw err;
  }
}

async function runClaimedEvent(options: RunEventOptions, stagesRun: string[]): Promise<RunEventResult> {
  const { store, event, workerId } = options;
  const now = options.now ?? (() => new Date());
  const failpoint = options.failpoint ?? (() => undefined);
  const isStopping = options.isStopping ?? (() => false);
  const logger = options.logger.child({ eventId: event.id });
  const journal = new RunJournal(options.writeCheckpoint ?? writeAlone(store), event.id, workerId);

  // The last outcomes (and skips) of the run are written with the finish, in one transaction.
  const finish = async (f: Omit<EventFinish, 'eventId' | 'leaseOwner' | 'now'>): Promise<EventRecord> => {
    await failpoint('event:before-finish');
    return journal.finish({ eventId: event.id, leaseOwner: workerId, now: now(), ...f });
  };
  const ignore = async (reason: IgnoreReason, pipeline: string | null): Promise<RunEventResult> => {
    logger.info({ reason: reason.kind }, 'event ignored: %s', reason.detail);
    const finished = await finish({ status: 'ignored', ignoreReason: reason, pipeline });
    return { status: 'ignored', event: finished, stagesRun };
  };

  const pipeline = userCode('a pipeline match()', () => choosePipeline(options.pipelines, event));
  if (!pipeline) {
    return ignore({ kind: 'no_pipeline', detail: `no pipeline matches ${event.source} event "${event.type}"` }, null);
  }
  const notApplicable = userCode(`pipeline "${pipeline.name}" notApplicable()`, () => pipeline.notApplicable?.(event));
  if (typeof notApplicable === 'string') return ignore({ kind: 'not_applicable', detail: notApplicable }, pipeline.name);

  const checkpoints = new Map<string, CheckpointRecord>(
    (await store.getCheckpoints(event.id)).map((c) => [c.stage, c]),
  );
  // The gate is passed once: an event that has begun its stages is never gated again, so a
  // dead event retried by hand after newer events of its entity still completes its own work.
  if (pipeline.entity && event.entityKey && checkpoints.size === 0) {
    const rejected = await applyEntityTransition(store, pipeline, event, now);
    if (rejected) return ignore(rejected, pipeline.name);
  }
  const statusNow = new Map<string, CheckpointStatus>();
  const outputs: Record<string, JsonValue | null> = {};
  for (const c of checkpoints.values()) {
    statusNow.set(c.stage, c.status);
    if (c.status === 'success') outputs[c.stage] = c.data;
  }
  let summary: EventSummary = event.summary;
  const failures: { stage: string; error: ErrorInfo; retryDelayMs: number | null }[] = [];

  // No commit of its own: written with the run's next write.
  const skip = (stage: StageDefinition, skipReason: SkipReason, exchanges: HttpExchange[] = []): void => {
    statusNow.set(stage.name, 'skipped');
    journal.outcome({
      eventId: event.id,
      stage: stage.name,
      leaseOwner: workerId,
      outcome: { status: 'skipped', skipReason },
      attempt: 0,
      startedAt: null,
      completedAt: now(),
      exchanges,
    });
  };

  for (const stage of stageOrder(pipeline.stages)) {
    if (DONE.has(statusNow.get(stage.name) ?? 'pending')) continue;
    if (isStopping()) {
      // With a failure in this pass, finish as retrying/dead below so its backoff holds.
      if (failures.length > 0) break;
      await journal.flush();
      await store.releaseLease(event.id, workerId, now());
      logger.info('worker stopping: event released between stages');
      return { status: 'released', stagesRun };
    }

    const blockedBy = (stage.dependsOn ?? []).find((dep) => !DONE.has(statusNow.get(dep) ?? 'pending'));
    if (blockedBy !== undefined) {
      // Not run, and not skipped either: once the dependency succeeds on a retry, this runs.
      const depStatus = statusNow.get(blockedBy) ?? 'pending';
      logger.info({ stage: stage.name }, 'not run: dependency "%s" is %s', blockedBy, depStatus);
      await journal.flush(); // the event's log lines stay in the order they happened
      await store.appendEventLogs(event.id, [
        { at: now(), level: 'warn', stage: stage.name, message: `not run: dependency "${blockedBy}" is ${depStatus}`, fields: { dependency: blockedBy, status: depStatus } },
      ]);
      continue;
    }
    const skippedDep = (stage.dependsOn ?? []).find((dep) => statusNow.get(dep) === 'skipped');
    if (skippedDep !== undefined) {
      skip(stage, { kind: 'dependency', stage: skippedDep, status: 'skipped' });
      continue;
    }
    if (stage.flag) {
      const flag = await store.getFlag(stage.flag);
      if (flag && !flag.value) {
        skip(stage, { kind: 'flag', flag: stage.flag, value: false });
        continue;
      }
    }
    // Calls a condition makes (Stripe's "is it still paid?") are kept with the skip it decides,
    // or with the attempt that follows.
    let conditionExchanges: HttpExchange[] = [];
    if (stage.when) {
      let verdict: boolean | string;
      const recorder = createStageRecorder({ stage: stage.name, attempt: 0, now });
      try {
        verdict = await stage.when({
          event, payload: event.payload, summary, outputs, idempotencyKey: idempotencyKeyFor(event, stage.name), attempt: 0,
          signal: never, log: noopStageLogger, http: recorder.http, annotate: () => undefined,
          flag: async (key) => (await store.getFlag(key))?.value ?? true,
        });
      } catch (err) {
        // A throwing condition is this stage's failure, recorded like one (else the event would
        // be claimed, throw and be abandoned forever).
        const failure = await recordConditionError(journal, event, stage, stageRetryPolicy(pipeline, stage), checkpoints.get(stage.name), workerId, now, err);
        statusNow.set(stage.name, 'error');
        failures.push(failure);
        continue;
      }
      conditionExchanges = recorder.exchanges();
      if (verdict !== true) {
        skip(stage, { kind: 'condition', detail: typeof verdict === 'string' ? verdict : 'when() returned false' }, conditionExchanges);
        continue;
      }
    }

    stagesRun.push(stage.name);
    const startedAt = performance.now();
    const result = await runStageAttempt({
      store, journal, event, stage, retryPolicy: stageRetryPolicy(pipeline, stage), checkpoint: checkpoints.get(stage.name), outputs, summary, workerId, logger,
      shutdownSignal: options.shutdownSignal ?? never, leaseSignal: options.leaseSignal ?? never, now, failpoint, conditionExchanges,
    });
    options.onStageFinished?.({
      pipeline: pipeline.name, stage: stage.name, status: result.status, durationMs: performance.now() - startedAt,
      errorCode: result.status === 'error' ? (result.error.code ?? null) : null,
    });
    if (result.status === 'success') {
      statusNow.set(stage.name, 'success');
      outputs[stage.name] = result.data;
      if (result.summaryPatch) summary = mergeSummary(summary, result.summaryPatch);
    } else {
      statusNow.set(stage.name, 'error');
      failures.push({ stage: stage.name, ...result });
    }
  }

  if (failures.length === 0) {
    // Its cause gone, a dead or retried alert about this event is resolved in the same commit.
    const finished = await finish({ status: 'succeeded', pipeline: pipeline.name, lastError: null, resolveAlerts: RESOLVED_ON_SUCCESS });
    return { status: 'succeeded', event: finished, stagesRun };
  }
  const first = failures[0]!;
  const lastError: ErrorInfo = { ...first.error, message: `${first.stage}: ${first.error.message}` };
  const terminal = failures.find((f) => f.retryDelayMs === null);
  if (terminal) {
    const finished = await finish({ status: 'dead', pipeline: pipeline.name, lastError });
    await recordDeadAlert(store, {
      at: now(),
      kind: 'dead',
      eventId: event.id,
      stage: terminal.stage,
      message: terminal.error.retriable
        ? `event ${event.id} is dead: stage "${terminal.stage}" failed and has no retries left`
        : `event ${event.id} is dead: stage "${terminal.stage}" failed permanently`,
      details: { code: terminal.error.code ?? null, error: terminal.error.message, attempts: event.attempts },
    });
    logger.warn({ stage: terminal.stage }, 'event dead');
    return { status: 'dead', event: finished, stagesRun };
  }
  // The latest of the stages' delays: no failed stage is retried sooner than its policy says.
  const delay = Math.max(...failures.map((f) => f.retryDelayMs ?? 0));
  const finished = await finish({
    status: 'retrying',
    pipeline: pipeline.name,
    lastError,
    nextAttemptAt: new Date(now().getTime() + delay),
  });
  return { status: 'retrying', event: finished, stagesRun };
}

/** The pipeline's own code failed before any stage: retrying cannot help until a deploy. */
async function deadByPipelineCode(
  options: RunEventOptions,
  err: PipelineCodeError,
  stagesRun: string[],
): Promise<RunEventResult> {
  const at = (options.now ?? (() => new Date()))();
  const lastError: ErrorInfo = { message: err.message, code: err.code, retriable: false };
  const finished = await options.store.finishEvent({
    eventId: options.event.id, leaseOwner: options.workerId, status: 'dead', lastError, now: at,
  });
  await recordDeadAlert(options.store, {
    at, kind: 'dead', eventId: options.event.id, stage: null, message: `event ${options.event.id} is dead: ${err.message}`,
    details: { code: err.code, attempts: options.event.attempts },
  });
  options.logger.error({ eventId: options.event.id, err: err.message }, 'pipeline code failed');
  return { status: 'dead', event: finished, stagesRun };
}

async function recordConditionError(
  journal: RunJournal,
  event: EventRecord,
  stage: StageDefinition,
  retryPolicy: RetryPolicy,
  checkpoint: CheckpointRecord | undefined,
  workerId: string,
  now: () => Date,
  err: unknown,
): Promise<{ stage: string; error: ErrorInfo; retryDelayMs: number | null }> {
  const attempt = (checkpoint?.attempts ?? 0) + 1;
  const error: ErrorInfo = { ...classifyError(err), message: `when() threw: ${errorMessage(err)}` };
  const at = now();
  await journal.start({ eventId: event.id, stage: stage.name, leaseOwner: workerId, attempt, startedAt: at });
  journal.outcome({
    eventId: event.id, stage: stage.name, leaseOwner: workerId, outcome: { status: 'error', error },
    attempt, startedAt: at, completedAt: now(),
  });
  return {
    stage: stage.name,
    error,
    retryDelayMs: error.retriable ? retryDelayMs(retryPolicy, attempt, requestedRetryDelayMs(err)) : null,
  };
}

const noopStageLogger = { debug() {}, info() {}, warn() {}, error() {}, log() {} };

/**
 * Checks the event against its entity's state and, if it is a valid and newer move, writes
 * the new state (compare-and-set) before any stage runs. Returns the reason when it must be
 * ignored. A lost compare-and-set means someone else moved the entity in between: re-read
 * and decide again.
 */
async function applyEntityTransition(
  store: Store,
  pipeline: PipelineDefinition,
  event: EventRecord,
  now: () => Date,
): Promise<IgnoreReason | null> {
  const machine = pipeline.entity!;
  const entityKey = event.entityKey!;
  for (let round = 0; round < 5; round++) {
    const current = await store.getEntityState(entityKey);
    const decision = userCode(`pipeline "${pipeline.name}" entity targetState()`, () => decideTransition(machine, event, current));
    if (decision.kind === 'ignore') return decision.reason;
    if (decision.kind !== 'apply') return null;
    const written = await store.setEntityState({
      entityKey,
      state: decision.target,
      eventId: event.id,
      occurredAt: event.occurredAt,
      expectedState: decision.expectedState,
      now: now(),
    });
    if (written) return null;
  }
  throw new StoreError('ENTITY_CONTENTION', `entity "${entityKey}" kept changing while event ${event.id} tried to move it`);
}
