import type { EventSummary } from '../core/types.js';
import { storableText } from './storable.js';

/**
 * What the free-text filter searches, lower-cased once at write time (in JavaScript, so the
 * result does not depend on the database's locale): the provider's event id, the customer's
 * name, e-mail and document id, and every reference. Both stores write and query it alike.
 */
export function searchText(providerEventId: string, summary: EventSummary): string {
  const parts = [
    providerEventId,
    summary.customer?.name,
    summary.customer?.email,
    summary.customer?.documentId,
    ...Object.values(summary.references ?? {}),
  ];
  return normalizeSearch(parts.filter((part): part is string => typeof part === 'string' && part !== '').join('\n'));
}

/** The form searched text and search terms are compared in. */
export function normalizeSearch(text: string): string {
  return storableText(text.normalize('NFC').toLowerCase());
}
