import { DEFAULT_RETRY_DELAYS_MS, type RetryPolicy } from '../core/pipeline.js';

/**
 * Delay before the next attempt of a stage whose attempt number `failedAttempt` (1-based)
 * just failed with a retriable error, or null when the policy has no retries left.
 *
 * The n-th entry of `delaysMs` is the wait after the n-th failure, so the default
 * [0, 1 min, 5 min, 15 min] allows five attempts. Attempts are counted over the stage's whole
 * history (crashes and manual retries included): a manual retry of an exhausted stage gets
 * one more attempt and, if that fails too, the event is dead again at once.
 * A Retry-After asked for by the error raises the delay, never lowers it.
 */
export function retryDelayMs(
  policy: RetryPolicy | undefined,
  failedAttempt: number,
  requestedMs: number | undefined,
): number | null {
  const delays = policy?.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const planned = delays[failedAttempt - 1];
  if (planned === undefined) return null;
  return Math.max(planned, requestedMs ?? 0);
}
