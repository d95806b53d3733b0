import type { RetryPolicy } from '../core/pipeline.js';

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
export function retryDelayMs(
  policy: RetryPolicy,
  failedAttempt: number,
  requestedMs: number | undefined,
): number | null {
  const delays = policy.delaysMs ?? [];
  const planned = delays[failedAttempt - 1];
  if (planned === undefined) return null;
  return Math.max(planned, requestedMs ?? 0);
}
