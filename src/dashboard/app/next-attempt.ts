import type { Formats } from './format.js';
import type { Translate } from './i18n.js';
import { pipelineInfo } from './labels.js';
import type { DashboardConfig, EventRow } from './types.js';

/**
 * "próximo intento 07/12, 10:15 (intento 3 de 4)" for an event the worker will retry by itself.
 * The attempt counts are the failed stage's (its retry policy, as the config tells the page);
 * without a stage or a known policy, the event's own next attempt number, without "of M".
 * Null for any event that is not waiting for an automatic retry.
 */
export function nextAttemptText(t: Translate, formats: Formats, config: DashboardConfig, event: EventRow): string | null {
  if (event.status !== 'retrying' || !event.nextAttemptAt) return null;
  const stage = event.failure?.stage ?? null;
  const checkpoint = stage ? event.checkpoints.find((candidate) => candidate.stage === stage) : undefined;
  const max = stage ? pipelineInfo(config, event.pipeline)?.stages.find((candidate) => candidate.name === stage)?.maxAttempts : undefined;
  const next = (checkpoint ? checkpoint.attempts : event.attempts) + 1;
  const count = max !== undefined && checkpoint ? `${next} ${t('of')} ${max}` : String(next);
  return `${t('nextAttemptAt')} ${formats.shortDateTime(event.nextAttemptAt)} (${t('attempt').toLowerCase()} ${count})`;
}
