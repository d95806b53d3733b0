import type { Formats } from './format.js';
import type { Translate } from './i18n.js';
import type { AlertView } from './types.js';

/** Alerts in the page's language. */

const COMPUTED_KINDS = ['dead', 'retried', 'stuck', 'stage_error_rate'] as const;
type ComputedKind = (typeof COMPUTED_KINDS)[number];

function isComputedKind(kind: string): kind is ComputedKind {
  return (COMPUTED_KINDS as readonly string[]).includes(kind);
}

export function alertKindLabel(t: Translate, kind: string): string {
  return isComputedKind(kind) ? t(`alertKind_${kind}`) : kind;
}

/**
 * The server's alert messages are English; the kinds it knows carry their facts in `details`
 * (computed ones always, stored ones mostly), so they are worded here in the page's language.
 * Alerts of other kinds (written by pipelines) keep their own message.
 */
export function alertText(t: Translate, formats: Formats, alert: AlertView): string {
  const details = alert.details ?? {};
  const number = (key: string): number | null => (typeof details[key] === 'number' ? details[key] : null);
  const text = (key: string): string | null => (typeof details[key] === 'string' ? details[key] : null);
  const event = `${t('alertEvent')} #${alert.eventId ?? '?'}`;
  switch (alert.kind) {
    case 'dead': {
      const attempts = number('attempts');
      const error = text('error');
      return [
        `${event} ${t('alertDead')}`,
        attempts !== null ? ` (${t('attempts').toLowerCase()}: ${attempts})` : '',
        alert.stage ? ` — ${alert.stage}` : '',
        error ? `: ${error}` : '',
      ].join('');
    }
    case 'retried': {
      const retries = Math.max((number('attempts') ?? 1) - 1, number('manualRetries') ?? 0);
      return `${event} ${t('alertRetried')} ${retries} ${t('retries')}`;
    }
    case 'stuck':
      return `${event} ${t('alertStuck')} ${formats.dateTime(text('leaseExpiresAt') ?? alert.at)}`;
    case 'stage_error_rate': {
      const errors = number('errors');
      const finished = number('finished');
      if (errors === null || finished === null) return alert.message;
      return `${t('alertStage')} ${alert.stage ?? '?'} ${t('alertErrorRate')} ${errors} ${t('of')} ${finished} (${formats.percent(number('errorRate'))})`;
    }
    default:
      return alert.message;
  }
}
