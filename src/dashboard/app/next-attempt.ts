import type { Formats } from './format.js';
import type { HomeTranslate } from './home-i18n.js';
import type { HomeSummary } from './home-types.js';
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

/** A retry this late after its time means no worker is taking retries: said as due since, not as next. */
const OVERDUE_MS = 60_000;

/**
 * The home's "Reintentando" card: when the nearest automatic retry is due ("próximo intento
 * 07/12, 02:05 p. m."), or since when it is overdue by more than a minute at the server's `now`.
 * Null when nothing is retrying.
 */
export function nextRetryText(
  words: HomeTranslate,
  formats: Formats,
  home: Pick<HomeSummary, 'now'> & { attention: Pick<HomeSummary['attention'], 'retrying' | 'nextRetryAt'> },
): { text: string; overdue: boolean } | null {
  const { retrying, nextRetryAt } = home.attention;
  if (retrying === 0 || nextRetryAt === null) return null;
  const overdue = Date.parse(home.now) - Date.parse(nextRetryAt) > OVERDUE_MS;
  return { text: words(overdue ? 'homeRetryOverdue' : 'homeRetryNextAt', { at: formats.shortDateTime(nextRetryAt) }), overdue };
}
