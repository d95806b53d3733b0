/**
 * One attempt of one stage, under the checkpoint protocol (see ARCHITECTURE.md):
 * durable `processing` first, then reconcile-or-run, then the outcome in one write — held by
 * the run's journal and written with the run's next write (the next stage's `processing`
 * mark, or the finish).
 */
import type { Logger } from 'pino';
import { LeaseLostError } from '../core/errors.js';
import { DEFAULT_STAGE_TIMEOUT_MS, stageRetryPolicy, type PipelineDefinition, type StageDefinition } from '../core/pipeline.js';
import type { CheckpointRecord, ErrorInfo, EventRecord, EventSummary, HttpExchange, JsonValue } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { attemptsExhausted, stageRetryDelayMs } from './backoff.js';
import { AttemptStop } from './attempt-stop.js';
import { classifyError } from './errors.js';
import type { AttemptRecord, RunJournal } from './run-journal.js';
import { createStageContext, idempotencyKeyFor, type StageContextHandle } from './stage-context.js';

/** A named point where a test may crash the process (see test/helpers/crash-worker.ts). */
export type Failpoint = (name: string) => void | Promise<void>;

export interface StageAttemptInput {
  store: WorkerStore;
  /** Where this run's checkpoint writes go (group-committed). */
  journal: RunJournal;
  event: EventRecord;
  stage: StageDefinition;
  /** The stage's pipeline: its `retry` stands in for a stage without one (stageRetryPolicy), read only when a decision needs it. */
  pipeline: Pick<PipelineDefinition, 'retry'>;
  /** The stage's checkpoint as stored before this attempt (undefined: never touched). */
  checkpoint: CheckpointRecord | undefined;
  outputs: Readonly<Record<string, JsonValue | null>>;
  summary: EventSummary;
  logger: Logger;
  /** Fires when the worker shuts down. */
  shutdownSignal: AbortSignal;
  /** Fires (with a LeaseLostError) when the worker could not renew the event's lease. */
  leaseSignal: AbortSignal;
  now: () => Date;
  /** Named crash points (tests only); none: no names are built. */
  failpoint: Failpoint | undefined;
  /** HTTP calls the stage's `when()` made just before this attempt; stored with it. */
  conditionExchanges?: readonly HttpExchange[];
}

export type StageAttemptResult =
  | { status: 'success'; data: JsonValue | null; summaryPatch: EventSummary | undefined; recovered: boolean }
  /** retryDelayMs null: permanent, or no retries left. */
  | { status: 'error'; error: ErrorInfo; retryDelayMs: number | null };

/** Why the previous attempt needs care before this one, written into the attempt history. */
function attemptNote(checkpoint: CheckpointRecord | undefined): { note: string | null; uncertain: boolean } {
  if (!checkpoint || checkpoint.attempts === 0) return { note: null, uncertain: false };
  switch (checkpoint.status) {
    case 'processing':
      // A worker died (or lost its lease) while the stage ran: the effect may have happened.
      return { note: 'resumed after interruption', uncertain: true };
    case 'error':
      // Any failure may come after the receiver did the effect: a timeout, a 5xx or a reset,
      // but also a 4xx a service answers after doing it (the seeds' incident: the invoice was
      // made, the reply refused). A permanent error is retried only by an operator, and that
      // retry looks the effect up first like any other: one look-up, never a second invoice.
      return { note: 'retry after error', uncertain: true };
    case 'pending': {
      // An operator reset the stage. If its last attempt was cut off or failed the effect may
      // exist all the same, so the re-run reconciles first; after a success it is a deliberate run.
      const last = checkpoint.history.at(-1);
      const uncertain = last?.status === 'processing' || last?.status === 'error';
      return { note: 'manual re-run', uncertain };
    }
    default:
      return { note: null, uncertain: false };
  }
}

/**
 * Whether the attempt's `processing` mark must be durable before `run` (ARCHITECTURE.md, "Stages
 * without effects"). A stage of no external effects needs none on an event's first claim: a
 * crash there leaves nothing to look up, the stage runs again. From the second claim on it is
 * marked like any stage, so one that crashes its worker every time is counted and stopped.
 */
function needsMark(stage: StageDefinition, event: EventRecord): boolean {
  return stage.effects !== 'none' || event.attempts > 1;
}

export async function runStageAttempt(input: StageAttemptInput): Promise<StageAttemptResult> {
  const { store, event, stage, failpoint } = input;
  const attempt = (input.checkpoint?.attempts ?? 0) + 1;
  const { note, uncertain } = attemptNote(input.checkpoint);
  const startedAt = input.now();

  const previous = input.checkpoint;
  if (previous?.status === 'processing' && attemptsExhausted(stageRetryPolicy(input.pipeline, stage), previous.attempts)) {
    // Interrupted as many times as the policy allows attempts (a stage that kills its worker,
    // or never finishes within a lease): stop here instead of crashing workers forever.
    const error: ErrorInfo = {
      message: `stage "${stage.name}" was interrupted on each of its ${previous.attempts} attempts (worker died or lost its lease)`,
      code: 'INTERRUPTED_TOO_OFTEN',
      retriable: true,
    };
    input.journal.failed(stage.name, { attempt: previous.attempts, startedAt: previous.startedAt, note: 'interrupted too often' }, error);
    return { status: 'error', error, retryDelayMs: null };
  }

  if (failpoint) await failpoint(`${stage.name}:before-start`);
  // Durable before the stage function is called (the journal's write carries the outcomes
  // held so far, e.g. the previous stage's, in the same transaction).
  if (needsMark(stage, event)) await input.journal.start(stage.name, { attempt, startedAt, note });
  if (failpoint) await failpoint(`${stage.name}:before-run`);

  // Stopped by whichever comes first: timeout, shutdown, lost lease (attempt-stop.ts).
  const stop = new AttemptStop(stage.name, stage.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS, input.shutdownSignal, input.leaseSignal);
  const handle = createStageContext({
    store,
    event,
    stage: stage.name,
    summary: input.summary,
    outputs: input.outputs,
    idempotencyKey: idempotencyKeyFor(event, stage.name),
    attempt,
    signal: stop,
    logger: input.logger,
    now: input.now,
  });

  let data: JsonValue | null;
  let recovered = false;
  try {
    let found: JsonValue | undefined;
    if (uncertain && stage.reconcile) {
      found = await stop.race(stage.reconcile(handle.context));
    }
    if (found !== undefined) {
      recovered = true;
      data = found;
      handle.context.log.info('effect found by reconcile; the stage was not run again');
    } else {
      const returned = await stop.race(stage.run(handle.context));
      data = returned === undefined ? null : returned;
    }
  } catch (err) {
    if (input.leaseSignal.aborted) throw input.leaseSignal.reason;
    if (err instanceof LeaseLostError) throw err;
    const error = classifyError(err);
    handle.context.log.warn('stage failed', { code: error.code ?? null, retriable: error.retriable });
    input.journal.failed(stage.name, { attempt, startedAt, note }, error, attemptRecord(handle, input.conditionExchanges));
    return { status: 'error', error, retryDelayMs: stageRetryDelayMs(stageRetryPolicy(input.pipeline, stage), attempt, error, err) };
  } finally {
    stop.disarm();
  }

  if (input.leaseSignal.aborted) throw input.leaseSignal.reason;
  if (failpoint) await failpoint(`${stage.name}:after-run`);
  input.journal.succeeded(
    stage.name,
    { attempt, startedAt, note: recovered ? 'recovered by reconcile' : note },
    data,
    attemptRecord(handle, input.conditionExchanges),
    failpoint ? () => failpoint(`${stage.name}:after-outcome`) : undefined,
  );
  return { status: 'success', data, summaryPatch: handle.summaryPatch(), recovered };
}

/** What the attempt recorded (and the calls its `when()` made just before), kept with its outcome. */
function attemptRecord(handle: StageContextHandle, conditionExchanges: readonly HttpExchange[] = []): AttemptRecord {
  const own = handle.exchanges();
  // The common case, no calls at all, copies nothing.
  const exchanges = conditionExchanges.length === 0 ? own : [...conditionExchanges, ...own];
  return { summaryPatch: handle.summaryPatch(), logs: handle.logs(), exchanges };
}
