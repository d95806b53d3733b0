import type { EventLogEntry } from './types.js';

/**
 * The line a "mark as handled" writes in the event's logs, so its history says who set a dead
 * event aside, when and why. Both stores write exactly this.
 */
export function handledLogEntry(actor: string, reason: string, at: Date): EventLogEntry {
  return {
    at,
    level: 'info',
    stage: null,
    message: `marked as handled by ${actor}: ${reason}`,
    fields: { action: 'handled', by: actor, reason },
  };
}
