import type { MessageKey, Translate } from './i18n.js';

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
