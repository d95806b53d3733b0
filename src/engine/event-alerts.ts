import type { AlertKind } from '../core/types.js';
import type { NewAlert } from '../store/store.js';
import type { WorkerStore } from '../store/store-roles.js';

/** The engine's stored alerts about one event: opened when it dies, resolved when it succeeds. */

/**
 * Alert kinds about an event that its success makes moot (not `oversold`: stock stays short).
 * Resolved by the success's finish itself (`EventFinish.resolveAlerts`): no commit of its own.
 */
export const RESOLVED_ON_SUCCESS: readonly AlertKind[] = ['dead', 'retried', 'stuck'];

/**
 * One issue per dead event: dying again (dead, retried by hand, dead again) counts an occurrence
 * on the open issue, whose text becomes the newest death's (its stage, code and attempts).
 */
export async function recordDeadAlert(store: WorkerStore, alert: NewAlert & { eventId: number }): Promise<void> {
  await store.recordAlert({ ...alert, subject: `event:${alert.eventId}` });
}
