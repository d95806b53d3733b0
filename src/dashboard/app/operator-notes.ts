import type { Language } from './i18n.js';
import { bulkText } from './i18n-bulk.js';
import type { EventLogEntry } from './types.js';

/**
 * An event log line the server wrote for an operator's retry or re-run (fields `operator`,
 * `action`, `reason`, `following`), in the page's language; null for any other line.
 * `label` names a stage as people read it.
 */
export function operatorNote(entry: EventLogEntry, language: Language, label: (stage: string) => string): string | null {
  const f = entry.fields;
  const w = bulkText(language);
  // "Mark as handled" (core/handled.ts) stores its line in English; the page says it in its language.
  if (f && f.action === 'handled' && typeof f.by === 'string' && typeof f.reason === 'string') {
    return `${w('noteHandled')} ${f.by} — ${w('noteReason')} ${f.reason}`;
  }
  if (!f || typeof f.operator !== 'string' || (f.action !== 'retry' && f.action !== 'rerun')) return null;
  const following = Array.isArray(f.following) ? f.following.filter((s): s is string => typeof s === 'string') : [];
  const also = following.length ? ` (${w('noteAlso')} ${following.map(label).join(', ')})` : '';
  const reason = typeof f.reason === 'string' && f.reason ? ` — ${w('noteReason')} ${f.reason}` : '';
  return `${f.action === 'retry' ? w('noteRetry') : w('noteRerun')} ${f.operator}${also}${reason}`;
}
