import type { AlertToForward, ClaimAlertsToForward } from '../store.js';
import { ALERT_COLUMNS, toAlert, type AlertRow } from './access-alerts.js';
import type { SqliteContext } from './connection.js';
import { toMs } from './rows.js';

/** The outbox of alerts for the configured alerts webhook (see 0002_alert_forwarding.sql). */

export function claimAlertsToForward(ctx: SqliteContext, options: ClaimAlertsToForward): AlertToForward[] {
  // One IMMEDIATE transaction: select and push forward_next_at together, so two processes on
  // one file cannot both claim an alert.
  return ctx.immediate(() =>
    ctx
      .all<AlertRow & { forward_attempts: number }>(
        `UPDATE alerts SET forward_next_at = ?, forward_attempts = forward_attempts + 1
         WHERE id IN (
           SELECT id FROM alerts
           WHERE forwarded_at IS NULL AND at >= ? AND (forward_next_at IS NULL OR forward_next_at <= ?)
           ORDER BY id LIMIT ?)
         RETURNING ${ALERT_COLUMNS}, forward_attempts`,
        toMs(options.claimUntil),
        toMs(options.recordedSince),
        toMs(options.now),
        Math.max(0, Math.floor(options.limit)),
      )
      .sort((a, b) => a.id - b.id)
      .map((row) => ({ ...toAlert(row), forwardAttempts: row.forward_attempts })),
  );
}

export function markAlertForwarded(ctx: SqliteContext, id: number, at: Date): void {
  ctx.run('UPDATE alerts SET forwarded_at = ?, forward_error = NULL WHERE id = ?', toMs(at), id);
}

export function markAlertForwardFailed(ctx: SqliteContext, id: number, failure: { nextAt: Date; error: string }): void {
  ctx.run(
    'UPDATE alerts SET forward_next_at = ?, forward_error = ? WHERE id = ? AND forwarded_at IS NULL',
    toMs(failure.nextAt),
    failure.error.slice(0, 1000),
    id,
  );
}
