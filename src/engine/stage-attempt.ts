/**
 * One attempt of one stage, under the checkpoint protocol (see ARCHITECTURE.md):
 * durable `processing` first, then reconcile-or-run, then the outcome in one write — held by
 * the run's journal and written with the run's next write (the next stage's `processing`
 * mark, or the finish).
 */
import type { Logger } from 'pino';
import { LeaseLostError } from '../core/errors.js';
import { DEFAULT_STAGE_TIMEOUT_MS, type RetryPolicy, type StageDefinition } from '../core/pipeline.js';
import type { CheckpointRecord, ErrorInfo, EventRecord, EventSummary, HttpExchange, JsonValue } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { attemptsExhausted, stageRetryDelayMs } from './backoff.js';
import { classifyError, ShutdownError, StageTimeoutError } from './errors.js';
import type { AttemptRecord, RunJournal } from './run-journal.js';
import { createStageContext, idempotencyKeyFor } from './stage-context.js';

/** A named point where a test may crash the process (see test/helpers/crash-worker.ts). */
export type Failpoint = (name: string) => void | Promise<void>;

export interface StageAttemptInput {
  store: WorkerStore;
  /** Where this run's checkpoint writes go (group-committed). */
  journal: RunJournal;
  event: EventRecord;
  stage: StageDefinition;
  /** The stage's effective policy (its own, else its pipeline's, else the default). */
  retryPolicy: RetryPolicy;
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
  failpoint: Failpoint;
  /** HTTP calls the stage's `when()` made just before this attempt; stored with it. */
  conditionExchanges?: HttpExchange[];
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
      // A retriable failure (timeout, 5xx, reset) may come after the receiver did the effect.
      return { note: 'retry after error', uncertain: checkpoint.error?.retriable ?? true };
    case 'pending': {
      // An operator reset the stage. If its last attempt was cut off (or failed retriably) the
      // effect may exist all the same, so the re-run reconciles first; after a success or a
      // permanent error it is a deliberate run.
      const last = checkpoint.history.at(-1);
      const uncertain = last?.status === 'processing' || (last?.status === 'error' && (last.error?.retriable ?? true));
      return { note: 'manual re-run', uncertain };
    }
    default:
      return { note: null, uncertain: false };
  }
}

/** Resolves with the promise, or rejects with the signal's reason as soon as it fires. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Not waited for, but its rejection (a fetch given the aborted signal rejects at once) is
    // handled here: unhandled, it would end the process.
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The callbacks waiting on each signal, behind one listener of its own (see whenAborted). */
const waitingOn = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` when `signal` fires (at once if it has), until the returned function is
 * called. The worker's shutdown signal is shared by every running attempt: with a listener of
 * each, adding and removing one walked the signal's list of all of them, twice an attempt.
 */
function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => undefined;
  }
  let waiting = waitingOn.get(signal);
  if (!waiting) {
    const callbacks = new Set<() => void>();
    signal.addEventListener('abort', () => callbacks.forEach((call) => call()), { once: true });
    waitingOn.set(signal, callbacks);
    waiting = callbacks;
  }
  const registered = waiting;
  registered.add(callback);
  return () => registered.delete(callback);
}

export async function runStageAttempt(input: StageAttemptInput): Promise<StageAttemptResult> {
  const { store, event, stage, failpoint } = input;
  const attempt = (input.checkpoint?.attempts ?? 0) + 1;
  const { note, uncertain } = attemptNote(input.checkpoint);
  const startedAt = input.now();

  const previous = input.checkpoint;
  if (previous?.status === 'processing' && attemptsExhausted(input.retryPolicy, previous.attempts)) {
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

  await failpoint(`${stage.name}:before-start`);
  // Durable before the stage function is called (the journal's write carries the outcomes
  // held so far, e.g. the previous stage's, in the same transaction).
  await input.journal.start(stage.name, { attempt, startedAt, note });
  await failpoint(`${stage.name}:before-run`);

  // One controller, aborted by whichever comes first (timeout, shutdown, lost lease) with that
  // one's reason, as AbortSignal.any would: without the two extra controllers and the
  // dependent signal AbortSignal.any builds on every attempt.
  const timeoutMs = stage.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS;
  const stop = new AbortController();
  const signal = stop.signal;
  const timer = setTimeout(() => stop.abort(new StageTimeoutError(stage.name, timeoutMs)), timeoutMs);
  const forgetShutdown = whenAborted(input.shutdownSignal, () => stop.abort(new ShutdownError()));
  const forgetLeaseLost = whenAborted(input.leaseSignal, () => stop.abort(input.leaseSignal.reason));

  const handle = createStageContext({
    store,
    event,
    stage: stage.name,
    summary: input.summary,
    outputs: input.outputs,
    idempotencyKey: idempotencyKeyFor(event, stage.name),
    attempt,
    signal,
    logger: input.logger,
    now: input.now,
  });

  let data: JsonValue | null;
  let recovered = false;
  try {
    let found: JsonValue | undefined;
    if (uncertain && stage.reconcile) {
      found = await untilAborted(stage.reconcile(handle.context), signal);
    }
    if (found !== undefined) {
      recovered = true;
      data = found;
      handle.context.log.info('effect found by reconcile; the stage was not run again');
    } else {
      const returned = await untilAborted(stage.run(handle.context), signal);
      data = returned === undefined ? null : returned;
    }
  } catch (err) {
    if (input.leaseSignal.aborted) throw input.leaseSignal.reason;
    if (err instanceof LeaseLostError) throw err;
    const error = classifyError(err);
    handle.context.log.warn('stage failed', { code: error.code ?? null, retriable: error.retriable });
    input.journal.failed(stage.name, { attempt, startedAt, note }, error, attemptRecord(handle, input.conditionExchanges));
    return { status: 'error', error, retryDelayMs: stageRetryDelayMs(input.retryPolicy, attempt, error, err) };
  } finally {
    clearTimeout(timer);
    forgetShutdown();
    forgetLeaseLost();
  }

  if (input.leaseSignal.aborted) throw input.leaseSignal.reason;
  await failpoint(`${stage.name}:after-run`);
  input.journal.succeeded(
    stage.name,
    { attempt, startedAt, note: recovered ? 'recovered by reconcile' : note },
    data,
    attemptRecord(handle, input.conditionExchanges),
    () => failpoint(`${stage.name}:after-outcome`),
  );
  return { status: 'success', data, summaryPatch: handle.summaryPatch(), recovered };
}

/** What the attempt recorded (and the calls its `when()` made just before), kept with its outcome. */
function attemptRecord(handle: ReturnType<typeof createStageContext>, conditionExchanges: HttpExchange[] = []): AttemptRecord {
  return { summaryPatch: handle.summaryPatch(), logs: handle.logs(), exchanges: [...conditionExchanges, ...handle.exchanges()] };
}
