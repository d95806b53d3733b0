/**
 * How a run of one event ends once its stages have had their turn: succeeded, dead (with its
 * alert) or retrying; and dead at once when the pipeline's own code failed before any stage.
 * The last outcomes go to the store in the finish's commit (RunJournal.finish).
 */
import type { ErrorInfo } from '../core/types.js';
import { eventRetry } from './backoff.js';
import { recordDeadAlert, RESOLVED_ON_SUCCESS } from './event-alerts.js';
import type { PipelineCodeError } from './pipeline-code.js';
import type { RunJournal } from './run-journal.js';
import type { Pass, RunEventOptions, RunEventResult } from './run-pass.js';

/** The pass's end: succeeded, dead (with its alert) or retrying after the stages' delays; the last outcomes go with it. */
export async function finishPass(pass: Pass): Promise<RunEventResult> {
  const { journal, pipeline, event, stagesRun } = pass;
  if (pass.failpoint) await pass.failpoint('event:before-finish');
  if (pass.failures.length === 0) {
    // Its cause gone, a dead or retried alert about this event is resolved in the same commit.
    const finished = await journal.finish({
      status: 'succeeded',
      pipeline: pipeline.name,
      lastError: null,
      resolveAlerts: RESOLVED_ON_SUCCESS,
    });
    return { status: 'succeeded', event: finished, stagesRun };
  }
  const first = pass.failures[0]!;
  const lastError: ErrorInfo = { ...first.error, message: `${first.stage}: ${first.error.message}` };
  const retry = eventRetry(pass.failures);
  if ('dead' in retry) {
    const terminal = retry.dead;
    const finished = await journal.finish({ status: 'dead', pipeline: pipeline.name, lastError });
    await recordDeadAlert(pass.options.store, {
      at: pass.now(),
      kind: 'dead',
      eventId: event.id,
      stage: terminal.stage,
      message: terminal.error.retriable
        ? `event ${event.id} is dead: stage "${terminal.stage}" failed and has no retries left`
        : `event ${event.id} is dead: stage "${terminal.stage}" failed permanently`,
      details: { code: terminal.error.code ?? null, error: terminal.error.message, attempts: event.attempts },
    });
    pass.logger.warn({ eventId: event.id, stage: terminal.stage }, 'event dead');
    return { status: 'dead', event: finished, stagesRun };
  }
  const finished = await journal.finish({
    status: 'retrying',
    pipeline: pipeline.name,
    lastError,
    nextAttemptAt: new Date(pass.now().getTime() + retry.delayMs),
  });
  return { status: 'retrying', event: finished, stagesRun };
}

/** The pipeline's own code failed before any stage: retrying cannot help until a deploy. */
export async function deadByPipelineCode(
  options: RunEventOptions,
  journal: RunJournal,
  err: PipelineCodeError,
  stagesRun: string[],
): Promise<RunEventResult> {
  const at = (options.now ?? (() => new Date()))();
  const lastError: ErrorInfo = { message: err.message, code: err.code, retriable: false };
  const finished = await journal.finish({ status: 'dead', lastError });
  await recordDeadAlert(options.store, {
    at,
    kind: 'dead',
    eventId: options.event.id,
    stage: null,
    message: `event ${options.event.id} is dead: ${err.message}`,
    details: { code: err.code, attempts: options.event.attempts },
  });
  options.logger.error({ eventId: options.event.id, err: err.message }, 'pipeline code failed');
  return { status: 'dead', event: finished, stagesRun };
}
