import { type AlertToForward, type AlertTransition, type ClaimAlertsToForward } from '../store.js';
import type { Queryable } from './connection.js';
import { type AlertRow, toAlert } from './alert-issues.js';

/**
 * The outbox of alerts for the configured alerts webhook: each alert's opening
 * (`forwarded_at`) and resolution (`resolve_forwarded_at`) are forwarded once each; one set of
 * claim columns serves both, the opening first.
 */

/** See Store.claimAlertsToForward: SKIP LOCKED keeps concurrent forwarders on disjoint alerts. */
export async function claimAlertsToForward(db: Queryable, options: ClaimAlertsToForward): Promise<AlertToForward[]> {
  const result = await db.query<AlertRow & { forward_attempts: number; forwarded_at: Date | null }>(
    `UPDATE alerts SET forward_next_at = $1, forward_attempts = forward_attempts + 1
     WHERE id IN (
       SELECT id FROM alerts
       WHERE (forward_next_at IS NULL OR forward_next_at <= $3) AND (
         (forwarded_at IS NULL AND at >= $2
           AND (muted_until IS NULL OR muted_until <= $3)
           AND NOT (resolved_at IS NOT NULL AND muted_until IS NOT NULL AND muted_at <= resolved_at AND muted_until > resolved_at))
         OR (forwarded_at IS NOT NULL AND resolved_at IS NOT NULL AND resolve_forwarded_at IS NULL AND resolved_at >= $2))
       ORDER BY id LIMIT $4
       FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [options.claimUntil, options.recordedSince, options.now, Math.max(0, Math.floor(options.limit))],
  );
  return result.rows
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((row) => ({
      ...toAlert(row),
      transition: row.forwarded_at === null ? ('opened' as const) : ('resolved' as const),
      forwardAttempts: row.forward_attempts,
    }));
}

export async function markAlertForwarded(db: Queryable, id: number, at: Date, transition: AlertTransition = 'opened'): Promise<void> {
  if (transition === 'opened') {
    // The resolution, if any, starts its own count of tries.
    await db.query(
      `UPDATE alerts SET forwarded_at = $2, forward_error = NULL, forward_attempts = 0, forward_next_at = NULL
       WHERE id = $1 AND forwarded_at IS NULL`,
      [id, at],
    );
    return;
  }
  await db.query('UPDATE alerts SET resolve_forwarded_at = $2, forward_error = NULL WHERE id = $1 AND resolve_forwarded_at IS NULL', [
    id,
    at,
  ]);
}

export async function markAlertForwardFailed(
  db: Queryable,
  id: number,
  failure: { nextAt: Date; error: string; transition?: AlertTransition },
): Promise<void> {
  const pending = (failure.transition ?? 'opened') === 'opened' ? 'forwarded_at IS NULL' : 'resolve_forwarded_at IS NULL';
  await db.query(`UPDATE alerts SET forward_next_at = $2, forward_error = $3 WHERE id = $1 AND ${pending}`, [
    id,
    failure.nextAt,
    failure.error.slice(0, 1000),
  ]);
}
