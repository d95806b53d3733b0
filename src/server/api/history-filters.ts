import { z } from 'zod';
import { HttpError } from '../http-errors.js';

/** The filters the audit log and the flag history share: who (exact e-mail) and when (since ≤ at < until). */
export const whoWhatWhen = {
  actor: z.string().max(200).optional(),
  since: z.iso
    .datetime({ offset: true, message: 'since must be an ISO date-time with its offset, e.g. 2026-12-01T00:00:00-05:00' })
    .optional(),
  until: z.iso
    .datetime({ offset: true, message: 'until must be an ISO date-time with its offset, e.g. 2026-12-02T00:00:00-05:00' })
    .optional(),
};

/** The parsed `since`/`until` as dates; an empty range is a 400, not an empty page. */
export function timeRange(query: { since?: string | undefined; until?: string | undefined }): { since?: Date; until?: Date } {
  const range: { since?: Date; until?: Date } = {};
  if (query.since) range.since = new Date(query.since);
  if (query.until) range.until = new Date(query.until);
  if (range.since && range.until && range.since >= range.until) {
    throw new HttpError(400, 'INVALID_REQUEST', `since (${query.since}) must be before until (${query.until})`);
  }
  return range;
}
