/**
 * Runs one claimed event through its pipeline. The protocol is explained in ARCHITECTURE.md;
 * in short: choose the pipeline, gate on the entity state machine, then every stage in
 * dependency order under the checkpoint protocol, then finish the event.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { errorMessage, LeaseLostError } from '../core/errors.js';
import { applyEntityTransition } from './entity-gate.js';
import { PipelineCodeError, userCode } from './pipeline-code.js';
import { stageRetryPolicy, type PipelineDefinition, type StageDefinition, type StageLabel } from '../core/pipeline.js';
import { mergeSummary } from '../core/summary.js';
import type {
  CheckpointRecord,
  CheckpointStatus,
  ErrorInfo,
  EventRecord,
  HttpExchange,
  IgnoreReason,
  JsonValue,
  SkipReason,
} from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { stageRetryDelayMs } from './backoff.js';
import { classifyError } from './errors.js';
import { RunJournal, type WriteCheckpoint } from './run-journal.js';
import { runStageAttempt } from './stage-attempt.js';
import { idempotencyKeyFor } from './stage-context.js';
import { createStageRecorder } from './stage-recorder.js';
import { stageOrder } from './stage-order.js';
import { deadByPipelineCode, finishPass } from './run-endings.js';
import type { Pass, RunEventOptions, RunEventResult } from './run-pass.js';

export type { RunEventOptions, RunEventResult } from './run-pass.js';

/** One write, one transaction: for a run without a worker's writer. */
function writeAlone(store: WorkerStore): WriteCheckpoint {
  return async (write) => {
    const [result] = await store.writeCheckpoints([write]);
    if (!result) throw new Error('the store returned no result for a checkpoint write');
    if (!result.ok) throw result.error;
    return result.event;
  };
}

/** The event's pipeline: the one it was first handled by, else the first whose match is true. */
export function choosePipeline(pipelines: readonly PipelineDefinition[], event: EventRecord): PipelineDefinition | undefined {
  if (event.pipeline) {
    const chosen = pipelines.find((p) => p.name === event.pipeline);
    if (chosen) return chosen;
  }
  return pipelines.find((p) => p.match(event));
}

const DONE: ReadonlySet<CheckpointStatus> = new Set(['success', 'skipped']);

type Verdict = { run: false } | { run: true; conditionExchanges: readonly HttpExchange[] };
/** The verdict of a stage without `when()`: one object for all of them (nothing writes to it). */
const RUN_WITHOUT_CONDITION: Verdict = Object.freeze({ run: true, conditionExchanges: Object.freeze([]) });

/** Each pipeline's run order, sorted once (the stages of a defined pipeline do not change). */
const orders = new WeakMap<readonly StageDefinition[], StageDefinition[]>();
function stagesInOrder(pipeline: PipelineDefinition): StageDefinition[] {
  let order = orders.get(pipeline.stages);
  // Kept only while it still holds every stage (a test that edits a pipeline's list gets a new order).
  if (order === undefined || order.length !== pipeline.stages.length) {
    order = stageOrder(pipeline.stages);
    orders.set(pipeline.stages, order);
  }
  return order;
}
const never = new AbortController().signal;
// Every running attempt of runs given no lease signal listens on this one (stage-attempt.ts):
// as many listeners as stages in flight is the design, not a leak.
setMaxListeners(0, never);

export async function runEvent(options: RunEventOptions): Promise<RunEventResult> {
  const stagesRun: string[] = [];
  const now = options.now ?? (() => new Date());
  const journal = new RunJournal(
    options.writeCheckpoint ?? writeAlone(options.store),
    options.store,
    options.event.id,
    options.workerId,
    now,
  );
  try {
    return await runClaimedEvent(options, journal, stagesRun);
  } catch (err) {
    if (err instanceof LeaseLostError) {
      options.logger.warn({ eventId: options.event.id, err: err.message }, 'lease lost; leaving the event to its new owner');
      return { status: 'lease_lost', stagesRun };
    }
    if (err instanceof PipelineCodeError) return deadByPipelineCode(options, journal, err, stagesRun);
    throw err;
  }
}

/** Pipeline choice, the entity gate, the stages, the finish. */
async function runClaimedEvent(options: RunEventOptions, journal: RunJournal, stagesRun: string[]): Promise<RunEventResult> {
  const { store, event } = options;
  const now = options.now ?? (() => new Date());
  // No child logger an event: its few lines (ignored, released, blocked, dead) name the event
  // themselves, and a stage's logger binds it when it first prints (stage-context.ts).
  const logger = options.logger;
  const ignore = async (reason: IgnoreReason, pipeline: string | null): Promise<RunEventResult> => {
    logger.info({ eventId: event.id, reason: reason.kind }, 'event ignored: %s', reason.detail);
    await options.failpoint?.('event:before-finish');
    const finished = await journal.finish({ status: 'ignored', ignoreReason: reason, pipeline });
    return { status: 'ignored', event: finished, stagesRun };
  };

  const pipeline = userCode('a pipeline match()', () => choosePipeline(options.pipelines, event));
  if (!pipeline) {
    return ignore({ kind: 'no_pipeline', detail: `no pipeline matches ${event.source} event "${event.type}"` }, null);
  }
  const notApplicable = userCode(`pipeline "${pipeline.name}" notApplicable()`, () => pipeline.notApplicable?.(event));
  if (typeof notApplicable === 'string' || (typeof notApplicable === 'object' && notApplicable !== null)) {
    return ignore({ kind: 'not_applicable', ...localizedReason(notApplicable, 'not applicable') }, pipeline.name);
  }

  const checkpoints = new Map<string, CheckpointRecord>((await checkpointsSoFar(store, event)).map((c) => [c.stage, c]));
  // The gate is passed once: an event that has begun its stages is never gated again, so a
  // dead event retried by hand after newer events of its entity still completes its own work.
  if (pipeline.entity && event.entityKey && checkpoints.size === 0) {
    const rejected = await applyEntityTransition(store, pipeline, event, now);
    if (rejected) return ignore(rejected, pipeline.name);
  }
  const pass = startPass(options, pipeline, journal, checkpoints, stagesRun, logger, now);
  const released = await runStages(pass);
  return released ?? finishPass(pass);
}

/**
 * The event's checkpoints, or none without a read on its first claim: every checkpoint write is
 * fenced by a lease, every lease comes from a claim, and each claim counts one more attempt
 * (never reset), so an event claimed for the first time (attempts 1) has none. One round trip
 * fewer between receipt and the first stage, and one query fewer an event.
 */
async function checkpointsSoFar(store: RunEventOptions['store'], event: EventRecord): Promise<CheckpointRecord[]> {
  return event.attempts === 1 ? [] : store.getCheckpoints(event.id);
}

function startPass(
  options: RunEventOptions,
  pipeline: PipelineDefinition,
  journal: RunJournal,
  checkpoints: Map<string, CheckpointRecord>,
  stagesRun: string[],
  logger: Logger,
  now: () => Date,
): Pass {
  const statusNow = new Map<string, CheckpointStatus>();
  const outputs: Record<string, JsonValue | null> = {};
  for (const c of checkpoints.values()) {
    statusNow.set(c.stage, c.status);
    if (c.status === 'success') outputs[c.stage] = c.data;
  }
  return {
    options,
    event: options.event,
    pipeline,
    journal,
    logger,
    now,
    failpoint: options.failpoint,
    checkpoints,
    statusNow,
    outputs,
    summary: options.event.summary,
    failures: [],
    stagesRun,
  };
}

/** Every stage not done, in order. Returns the result when the worker stopped and the event was released. */
async function runStages(pass: Pass): Promise<RunEventResult | null> {
  const isStopping = pass.options.isStopping ?? (() => false);
  for (const stage of stagesInOrder(pass.pipeline)) {
    if (DONE.has(pass.statusNow.get(stage.name) ?? 'pending')) continue;
    if (isStopping()) {
      // With a failure in this pass, finish as retrying/dead so its backoff holds.
      if (pass.failures.length > 0) break;
      await pass.journal.flush();
      await pass.options.store.releaseLease(pass.event.id, pass.options.workerId, pass.now());
      pass.logger.info({ eventId: pass.event.id }, 'worker stopping: event released between stages');
      return { status: 'released', stagesRun: pass.stagesRun };
    }
    // Most stages need no decision (no flag, no condition, every dependency succeeded): they
    // run without the async decideStage and its promise.
    const verdict = runsUndecided(pass, stage) ? RUN_WITHOUT_CONDITION : await decideStage(pass, stage);
    if (verdict.run) await attemptStage(pass, stage, verdict.conditionExchanges);
  }
  return null;
}

/** True when decideStage could only say "run, no condition calls": no flag, no `when()`, every dependency succeeded. */
function runsUndecided(pass: Pass, stage: StageDefinition): boolean {
  if (stage.flag !== undefined || stage.when !== undefined) return false;
  for (const dep of stage.dependsOn ?? []) if (pass.statusNow.get(dep) !== 'success') return false;
  return true;
}

/**
 * Whether `stage` runs now: a dependency not done leaves it pending (a log line says why); a
 * skipped dependency, a flag off or `when()` false skip it (no commit of its own); a `when()`
 * that throws is its failure. Calls a condition makes go with the skip or the attempt.
 */
async function decideStage(pass: Pass, stage: StageDefinition): Promise<Verdict> {
  const { statusNow, journal, event, now } = pass;
  const blockedBy = (stage.dependsOn ?? []).find((dep) => !DONE.has(statusNow.get(dep) ?? 'pending'));
  if (blockedBy !== undefined) {
    // Not run, and not skipped either: once the dependency succeeds on a retry, this runs.
    const depStatus = statusNow.get(blockedBy) ?? 'pending';
    pass.logger.info({ eventId: event.id, stage: stage.name }, 'not run: dependency "%s" is %s', blockedBy, depStatus);
    await journal.log([
      {
        at: now(),
        level: 'warn',
        stage: stage.name,
        message: `not run: dependency "${blockedBy}" is ${depStatus}`,
        fields: { dependency: blockedBy, status: depStatus },
      },
    ]);
    return { run: false };
  }
  const skip = (reason: SkipReason, exchanges?: HttpExchange[]): { run: false } => {
    statusNow.set(stage.name, 'skipped');
    journal.skipped(stage.name, reason, exchanges);
    return { run: false };
  };
  const skippedDep = (stage.dependsOn ?? []).find((dep) => statusNow.get(dep) === 'skipped');
  if (skippedDep !== undefined) return skip({ kind: 'dependency', stage: skippedDep, status: 'skipped' });
  if (stage.flag) {
    const flag = await pass.options.store.getFlag(stage.flag);
    if (flag && !flag.value) return skip({ kind: 'flag', flag: stage.flag, value: false });
  }
  if (!stage.when) return RUN_WITHOUT_CONDITION;
  const recorder = createStageRecorder({ stage: stage.name, attempt: 0, now });
  let verdict: boolean | StageLabel;
  try {
    verdict = await stage.when({
      event,
      payload: event.payload,
      summary: pass.summary,
      outputs: pass.outputs,
      idempotencyKey: idempotencyKeyFor(event, stage.name),
      attempt: 0,
      signal: never,
      log: noopStageLogger,
      http: recorder.http,
      annotate: () => undefined,
      flag: async (key) => (await pass.options.store.getFlag(key))?.value ?? true,
    });
  } catch (err) {
    // A throwing condition is this stage's failure, recorded like one (else the event would
    // be claimed, throw and be abandoned forever).
    await recordConditionError(pass, stage, err);
    return { run: false };
  }
  if (verdict !== true) {
    return skip(conditionSkip(verdict), recorder.exchanges());
  }
  return { run: true, conditionExchanges: recorder.exchanges() };
}

async function attemptStage(pass: Pass, stage: StageDefinition, conditionExchanges: readonly HttpExchange[]): Promise<void> {
  const { options } = pass;
  pass.stagesRun.push(stage.name);
  const startedAt = options.onStageFinished ? performance.now() : 0;
  const result = await runStageAttempt({
    store: options.store,
    journal: pass.journal,
    event: pass.event,
    stage,
    pipeline: pass.pipeline,
    checkpoint: pass.checkpoints.get(stage.name),
    outputs: pass.outputs,
    summary: pass.summary,
    logger: pass.logger,
    shutdownSignal: options.shutdownSignal ?? never,
    leaseSignal: options.leaseSignal ?? never,
    now: pass.now,
    failpoint: pass.failpoint,
    conditionExchanges,
  });
  options.onStageFinished?.({
    pipeline: pass.pipeline.name,
    stage: stage.name,
    status: result.status,
    durationMs: performance.now() - startedAt,
    errorCode: result.status === 'error' ? (result.error.code ?? null) : null,
  });
  if (result.status === 'success') {
    pass.statusNow.set(stage.name, 'success');
    pass.outputs[stage.name] = result.data;
    if (result.summaryPatch) pass.summary = mergeSummary(pass.summary, result.summaryPatch);
  } else {
    pass.statusNow.set(stage.name, 'error');
    pass.failures.push({ stage: stage.name, ...result });
  }
}

/** `when()` threw: an attempt of the stage, failed, retried by the stage's policy like any error. */
async function recordConditionError(pass: Pass, stage: StageDefinition, err: unknown): Promise<void> {
  const attempt = (pass.checkpoints.get(stage.name)?.attempts ?? 0) + 1;
  const error: ErrorInfo = { ...classifyError(err), message: `when() threw: ${errorMessage(err)}` };
  await pass.journal.conditionFailed(stage.name, attempt, error);
  pass.statusNow.set(stage.name, 'error');
  pass.failures.push({
    stage: stage.name,
    error,
    retryDelayMs: stageRetryDelayMs(stageRetryPolicy(pass.pipeline, stage), attempt, error, err),
  });
}

const noopStageLogger = { debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** The skip reason of a when() that said no: its words (by language when given), else a plain false. */
export function conditionSkip(verdict: false | StageLabel): Extract<SkipReason, { kind: 'condition' }> {
  if (verdict === false) return { kind: 'condition', detail: 'when() returned false' };
  return { kind: 'condition', ...localizedReason(verdict, 'when() returned false') };
}

/**
 * A reason the pipeline's code gave, as one text or texts by language: `detail` is the one
 * text, else its English, else its Spanish (what logs and the CLI print), else `fallback`;
 * `texts` keeps both for the dashboard, which shows the one of its language.
 */
function localizedReason(reason: StageLabel, fallback: string): { detail: string; texts?: Partial<Record<'es' | 'en', string>> } {
  if (typeof reason === 'string') return { detail: reason };
  const texts = { ...(reason.es ? { es: reason.es } : {}), ...(reason.en ? { en: reason.en } : {}) };
  return { detail: reason.en ?? reason.es ?? fallback, texts };
}
