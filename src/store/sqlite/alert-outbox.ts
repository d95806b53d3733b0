import type { AlertToForward, AlertTransition, ClaimAlertsToForward } from '../store.js';
import { ALERT_COLUMNS, toAlert, type AlertRow } from './alert-issues.js';
import type { SqliteContext } from './connection.js';
import { toMs } from './rows.js';

/**
 * The outbox of alerts for the configured alerts webhook (0002_alert_forwarding.sql, and
 * 0008_alert_issues.sql for the resolution): each alert has two transitions, its opening
 * (`forwarded_at`) and its resolution (`resolve_forwarded_at`), each sent once. One set of
 * claim columns serves both: the opening goes first, and its success resets them.
 */

/** A transition due now (@now), recorded since @since; PostgreSQL's outbox says the same. */
const DUE = `(forward_next_at IS NULL OR forward_next_at <= @now) AND (
    (forwarded_at IS NULL AND at >= @since
      AND (muted_until IS NULL OR muted_until <= @now)
      AND NOT (resolved_at IS NOT NULL AND muted_until IS NOT NULL AND muted_at <= resolved_at AND muted_until > resolved_at))
    OR (forwarded_at IS NOT NULL AND resolved_at IS NOT NULL AND resolve_forwarded_at IS NULL AND resolved_at >= @since))`;

export function claimAlertsToForward(ctx: SqliteContext, options: ClaimAlertsToForward): AlertToForward[] {
  // One IMMEDIATE transaction: select and push forward_next_at together, so two processes on
  // one file cannot both claim an alert.
  return ctx.immediate(() =>
    ctx
      .all<AlertRow & { forward_attempts: number; forwarded_at: number | null }>(
        `UPDATE alerts SET forward_next_at = @claim_until, forward_attempts = forward_attempts + 1
         WHERE id IN (SELECT id FROM alerts WHERE ${DUE} ORDER BY id LIMIT @limit)
         RETURNING ${ALERT_COLUMNS}, forward_attempts, forwarded_at`,
        {
          claim_until: toMs(options.claimUntil),
          since: toMs(options.recordedSince),
          now: toMs(options.now),
          limit: Math.max(0, Math.floor(options.limit)),
        },
      )
      .sort((a, b) => a.id - b.id)
      .map((row) => ({
        ...toAlert(row),
        transition: row.forwarded_at === null ? ('opened' as const) : ('resolved' as const),
        forwardAttempts: row.forward_attempts,
      })),
  );
}

export function markAlertForwarded(ctx: SqliteContext, id: number, at: Date, transition: AlertTransition = 'opened'): void {
  if (transition === 'opened') {
    // The resolution, if any, starts its own count of tries.
    ctx.run(
      `UPDATE alerts SET forwarded_at = ?, forward_error = NULL, forward_attempts = 0, forward_next_at = NULL
        WHERE id = ? AND forwarded_at IS NULL`,
      toMs(at),
      id,
    );
    return;
  }
  ctx.run('UPDATE alerts SET resolve_forwarded_at = ?, forward_error = NULL WHERE id = ? AND resolve_forwarded_at IS NULL', toMs(at), id);
}

export function markAlertForwardFailed(
  ctx: SqliteContext,
  id: number,
  failure: { nextAt: Date; error: string; transition?: AlertTransition },
): void {
  const pending = (failure.transition ?? 'opened') === 'opened' ? 'forwarded_at IS NULL' : 'resolve_forwarded_at IS NULL';
  ctx.run(
    `UPDATE alerts SET forward_next_at = ?, forward_error = ? WHERE id = ? AND ${pending}`,
    toMs(failure.nextAt),
    failure.error.slice(0, 1000),
    id,
  );
}
