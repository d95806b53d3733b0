import type { AlertKind } from '../core/types.js';
import type { NewAlert, Store } from '../store/store.js';

/** The engine's stored alerts about one event: opened when it dies, resolved when it succeeds. */

/** Alert kinds about an event that its success makes moot (not `oversold`: stock stays short). */
const RESOLVED_ON_SUCCESS: readonly AlertKind[] = ['dead', 'retried', 'stuck'];

/**
 * The newest death is the record (its stage, code and attempts): an earlier open `dead` alert
 * of the same event (dead, retried by hand, dead again) is resolved, so the event is listed once.
 */
export async function recordDeadAlert(store: Store, alert: NewAlert & { eventId: number }): Promise<void> {
  await store.resolveAlertsForEvent(alert.eventId, ['dead'], alert.at);
  await store.recordAlert(alert);
}

/** Its cause is gone: a dead or retried alert about this event no longer needs anyone. */
export async function resolveAlertsOnSuccess(store: Store, eventId: number, at: Date): Promise<void> {
  await store.resolveAlertsForEvent(eventId, RESOLVED_ON_SUCCESS, at);
}
