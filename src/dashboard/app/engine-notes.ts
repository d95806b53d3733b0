import type { MessageKey, Translate } from './i18n.js';
import type { CheckpointStatus, EventLogEntry } from './types.js';

/**
 * The engine writes a few fixed English texts into the attempt history (`note`) and the
 * stage's log (src/engine/stage-attempt.ts); the page shows them in its language. Anything
 * else (a connector's own words) is shown as written.
 */
const KNOWN: Record<string, MessageKey> = {
  'resumed after interruption': 'note_resumed',
  'retry after error': 'note_retry',
  'manual re-run': 'note_rerun',
  'recovered by reconcile': 'note_reconciled',
  'interrupted too often': 'note_interrupted',
  'stage failed': 'log_stageFailed',
  'effect found by reconcile; the stage was not run again': 'log_reconciled',
};

export function engineText(t: Translate, text: string): string {
  const key = KNOWN[text];
  return key ? t(key) : text;
}

const STATUSES: readonly string[] = ['pending', 'processing', 'success', 'error', 'skipped'];

/**
 * A line of the event's log in the page's language: the engine's "not run: dependency X is
 * error" names the stage by its label; its other fixed texts as above; anything else as written.
 */
export function logLineText(t: Translate, entry: EventLogEntry, label: (stage: string) => string): string {
  const dependency = entry.fields?.dependency;
  const status = entry.fields?.status;
  if (
    entry.message.startsWith('not run: dependency') &&
    typeof dependency === 'string' &&
    typeof status === 'string' &&
    STATUSES.includes(status)
  ) {
    return `${t('log_notRunDependency')} ${label(dependency)} (${t(`cp_${status as CheckpointStatus}`)})`;
  }
  return engineText(t, entry.message);
}
