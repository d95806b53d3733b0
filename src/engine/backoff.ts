/**
 * Every retry-delay decision of the engine: when a failed stage may run again, when a stage
 * has used up its attempts, and when the event as a whole is tried again (or is dead).
 */
import type { RetryPolicy } from '../core/pipeline.js';
import type { ErrorInfo } from '../core/types.js';
import { requestedRetryDelayMs } from './errors.js';

/**
 * Delay before the next attempt of a stage whose attempt number `failedAttempt` (1-based)
 * just failed with a retriable error, or null when the policy has no retries left.
 *
 * The n-th entry of `delaysMs` is the wait after the n-th failure, so the default
 * [1 min, 5 min, 15 min] allows four attempts (the seeds' retry guide). Attempts are counted over the stage's whole
 * history (crashes and manual retries included): a manual retry of an exhausted stage gets
 * one more attempt and, if that fails too, the event is dead again at once.
 * A Retry-After asked for by the error raises the delay, never lowers it.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number, requestedMs: number | undefined): number | null {
  const delays = policy.delaysMs ?? [];
  const planned = delays[failedAttempt - 1];
  if (planned === undefined) return null;
  return Math.max(planned, requestedMs ?? 0);
}

/** After attempt `failedAttempt` failed with `error` (thrown as `cause`): the wait, or null (permanent or exhausted). */
export function stageRetryDelayMs(policy: RetryPolicy, failedAttempt: number, error: ErrorInfo, cause: unknown): number | null {
  return error.retriable ? retryDelayMs(policy, failedAttempt, requestedRetryDelayMs(cause)) : null;
}

/** True when `attempts` used every attempt the policy allows (no retry would follow the last). */
export function attemptsExhausted(policy: RetryPolicy, attempts: number): boolean {
  return retryDelayMs(policy, attempts, undefined) === null;
}

/** A stage that failed in this pass, with its own retry delay (null: it cannot be retried). */
export interface StageFailure {
  stage: string;
  error: ErrorInfo;
  retryDelayMs: number | null;
}

/**
 * What a pass with failures makes of the event: dead if any failure cannot be retried (that
 * one is named), else retried after the LONGEST of the stages' delays — no failed stage is
 * retried sooner than its own policy allows.
 */
export function eventRetry(failures: readonly StageFailure[]): { dead: StageFailure } | { delayMs: number } {
  const terminal = failures.find((f) => f.retryDelayMs === null);
  if (terminal) return { dead: terminal };
  return { delayMs: Math.max(0, ...failures.map((f) => f.retryDelayMs ?? 0)) };
}
