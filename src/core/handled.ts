import type { EventLogEntry, EventStatus, HandledMark } from './types.js';

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

/** The mark as it stands: only on a dead event, and only if nothing changed the event since. */
export function currentHandledMark(
  status: EventStatus,
  updatedAt: Date,
  at: Date | null,
  by: string | null,
  reason: string | null,
): HandledMark | null {
  if (status !== 'dead' || at === null || at.getTime() < updatedAt.getTime()) return null;
  return { at, by: by ?? '?', reason: reason ?? '' };
}

/** The record's `handled` property: present only when marked, so records of unmarked events keep their shape. */
export function handledField(mark: HandledMark | null): { handled?: HandledMark } {
  return mark ? { handled: mark } : {};
}
