import type { Formats } from './format.js';
import type { Translate } from './i18n.js';
import { sourceDisplayName } from './source-names.js';
import type { AlertView } from './types.js';

/** Alerts in the page's language. */

const KNOWN_KINDS = [
  'dead',
  'retried',
  'stuck',
  'stage_error_rate',
  'backlog',
  'oversold',
  'paid_twice',
  'never_notified',
  'reconcile_failed',
  'reconcile_overdue',
] as const;
type KnownKind = (typeof KNOWN_KINDS)[number];

function isKnownKind(kind: string): kind is KnownKind {
  return (KNOWN_KINDS as readonly string[]).includes(kind);
}

/** A pipeline's own alerts are stored as `custom` and say what they are in `details.alert`. */
function effectiveKind(alert: { kind: string; details: AlertView['details'] }): string {
  const named = alert.details?.alert;
  return alert.kind === 'custom' && typeof named === 'string' ? named : alert.kind;
}

export function alertKindLabel(t: Translate, kind: string, details?: AlertView['details']): string {
  const effective = effectiveKind({ kind, details: details ?? null });
  if (isKnownKind(effective)) return t(`alertKind_${effective}`);
  // A pipeline's alert that names no kind of its own: said as where it comes from, not "custom".
  return effective === 'custom' ? t('alertKind_custom') : effective;
}

/**
 * The server's alert messages are English; the kinds it knows carry their facts in `details`
 * (computed ones always, stored ones mostly), so they are worded here in the page's language.
 * Alerts of other kinds (written by pipelines) keep their own message.
 */
/** How the page names a stage and words an error code; without them, the server's own words. */
export interface AlertWords {
  stageLabel(stage: string): string;
  plainError(code: string | null, message: string): string;
  /** A summary reference's name in the page's language ("Referencia ePayco"); without it, its key. */
  referenceLabel?(key: string): string;
}

/** What the wording reads of an alert; its kind may be one the page does not know (a pipeline's). */
export type AlertFacts = Pick<AlertView, 'at' | 'eventId' | 'stage' | 'message' | 'details'> &
  Partial<Pick<AlertView, 'subject' | 'resolvedAt' | 'payment'>> & { kind: string };

/**
 * The reference a person looks a payment up by, first found: the provider's (ePayco's reference,
 * MercadoPago's or Stripe's id), else the order's or the invoice's; else the summary's first.
 */
const PAYMENT_REFERENCES = ['refPayco', 'mercadopagoId', 'stripeObject', 'orderReference', 'order', 'externalReference', 'invoice'];

/** "Evento #3 (Lucía Vega · $ 100.000 · Referencia ePayco 98765432)": the event as the payment it is. */
export function alertEventName(t: Translate, formats: Formats, alert: AlertFacts, words?: AlertWords): string {
  const event = `${t('alertEvent')} #${alert.eventId ?? '?'}`;
  const payment = alert.payment;
  if (!payment) return event;
  const references = payment.references ?? {};
  const key = PAYMENT_REFERENCES.find((name) => references[name]) ?? Object.keys(references)[0];
  const parts = [
    payment.customer,
    payment.amount === undefined ? undefined : formats.money(payment.amount, payment.currency),
    key === undefined ? undefined : `${words?.referenceLabel ? words.referenceLabel(key) : key} ${references[key]}`,
  ].filter((part): part is string => part !== undefined && part !== '');
  return parts.length === 0 ? event : `${event} (${parts.join(' · ')})`;
}

/**
 * A piece of an alert's text: words, or a command to type (`webpig reconcile --source …`), which
 * the page shows as code so it is read and copied whole, not broken at its hyphens like prose.
 */
export interface AlertTextPart {
  text: string;
  command?: true;
}

/** The alert's text in pieces, its commands apart; alertText is the same as one string. */
export function alertTextParts(t: Translate, formats: Formats, alert: AlertFacts, words?: AlertWords): AlertTextPart[] {
  const details = alert.details ?? {};
  switch (effectiveKind(alert)) {
    case 'reconcile_failed':
      return reconcileFailedParts(t, formats, details);
    case 'reconcile_overdue':
      return reconcileOverdueParts(t, formats, details);
    default:
      return [{ text: alertText(t, formats, alert, words) }];
  }
}

function plainText(parts: AlertTextPart[]): string {
  return parts.map((part) => part.text).join('');
}

/** A sentence holding `{command}`: the words around it, and the command as a piece of its own. */
function withCommand(template: string, command: string): AlertTextPart[] {
  const at = template.indexOf('{command}');
  if (at < 0) return [{ text: template }];
  const parts: AlertTextPart[] = [
    { text: template.slice(0, at) },
    { text: command, command: true },
    { text: template.slice(at + '{command}'.length) },
  ];
  return parts.filter((part) => part.text !== '');
}

export function alertText(t: Translate, formats: Formats, alert: AlertFacts, words?: AlertWords): string {
  const details = alert.details ?? {};
  const number = (key: string): number | null => (typeof details[key] === 'number' ? details[key] : null);
  const text = (key: string): string | null => (typeof details[key] === 'string' ? details[key] : null);
  const event = alertEventName(t, formats, alert, words);
  switch (effectiveKind(alert)) {
    case 'dead': {
      const attempts = number('attempts');
      const error = text('error');
      return [
        `${event} ${t('alertDead')}`,
        attempts !== null ? ` (${t('attempts').toLowerCase()}: ${attempts})` : '',
        alert.stage ? ` — ${words ? words.stageLabel(alert.stage) : alert.stage}` : '',
        error ? `: ${words ? words.plainError(text('code'), error) : error}` : '',
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
      const stage = alert.stage ? (words ? words.stageLabel(alert.stage) : alert.stage) : '?';
      return `${t('alertStage')} ${stage} ${t('alertErrorRate')} ${errors} ${t('of')} ${finished} (${formats.percent(number('errorRate'))})`;
    }
    case 'backlog': {
      const waited = number('waitedSeconds');
      if (waited === null) return alert.message;
      return `${t('alertBacklog')} ${Math.round(waited / 60)} ${t('minutes')} (${number('queued') ?? '?'} ${t('alertBacklogQueued')}): ${t('alertBacklogHint')}`;
    }
    case 'paid_twice': {
      const invoice = text('invoiceId');
      if (!invoice) return alert.message;
      return `${t('invoiceWord')} ${invoice} ${t('alertPaidTwice')} (${payerText(details.first, formats)} / ${payerText(details.second, formats)}): ${t('alertPaidTwiceHint')}`;
    }
    case 'oversold': {
      const lines = Array.isArray(details.lines) ? (details.lines as { sku?: unknown; shortfall?: unknown }[]) : [];
      if (lines.length === 0) return alert.message;
      // One alert per SKU (its subject), counted over orders: name the SKU first, the order last.
      if (alert.subject?.startsWith('sku:') && lines.length === 1) {
        const line = lines[0] ?? {};
        return `${String(line.sku)} ${t('alertOversoldSku')}: −${String(line.shortfall)} ${t('alertOversoldLatest')} (${event})`;
      }
      return `${event} ${t('alertOversold')} ${lines.map((l) => `${String(l.sku)} (−${String(l.shortfall)})`).join(', ')}`;
    }
    case 'never_notified': {
      const count = number('count');
      if (count === null) return alert.message;
      const provider = text('provider') ?? text('source') ?? '?';
      return count === 1
        ? `${count} ${t('alertNeverNotifiedOne')} ${provider} ${t('alertNeverNotifiedOneEnd')}`
        : `${count} ${t('alertNeverNotified')} ${provider} ${t('alertNeverNotifiedEnd')}`;
    }
    case 'reconcile_failed':
      return plainText(reconcileFailedParts(t, formats, details));
    case 'reconcile_overdue':
      return plainText(reconcileOverdueParts(t, formats, details));
    default:
      return alert.message;
  }
}

/**
 * A reconciliation run that stopped midway: which source, since when payments may be missing,
 * why in a few words (the provider's own message is the technical detail) and what to do.
 */
function reconcileFailedParts(t: Translate, formats: Formats, details: NonNullable<AlertView['details']>): AlertTextPart[] {
  const text = (key: string): string | null => (typeof details[key] === 'string' ? details[key] : null);
  const source = text('source');
  const since = text('since');
  const name = source ? sourceDisplayName(source) : (text('provider') ?? '?');
  // A provider looked up by references (ePayco) has no window of dates to name.
  const main = since
    ? t('alertReconcileFailed').replace('{source}', name).replace('{since}', formats.minuteDateTime(since))
    : t('alertReconcileFailedReferences').replace('{source}', name);
  const status = typeof details.status === 'number' ? details.status : null;
  const code = text('code');
  const cause =
    code === 'PROVIDER_UNAVAILABLE'
      ? t('alertReconcileCauseUnavailable')
      : code === 'PROVIDER_RATE_LIMITED'
        ? t('alertReconcileCauseRateLimited')
        : code === 'PROVIDER_REFUSED'
          ? t(status === 401 || status === 403 ? 'alertReconcileCauseKey' : 'alertReconcileCauseRefused')
          : null;
  const command = text('command') ?? `webpig reconcile --source ${source ?? '?'}`;
  const todo = t(code === 'PROVIDER_REFUSED' ? 'alertReconcileFixFirst' : 'alertReconcileResume');
  return [{ text: `${main}${cause ? ` (${cause})` : ''}. ` }, ...withCommand(todo, command)];
}

/**
 * A scheduled reconciliation that stopped finishing (the worker down or restarting, its runs
 * killed): which source, since when nothing finished, that lost payments are not being looked
 * for, and what to do.
 */
function reconcileOverdueParts(t: Translate, formats: Formats, details: NonNullable<AlertView['details']>): AlertTextPart[] {
  const text = (key: string): string | null => (typeof details[key] === 'string' ? details[key] : null);
  const source = text('source');
  const since = text('since');
  const name = source ? sourceDisplayName(source) : '?';
  const main = t(details.everFinished === false ? 'alertReconcileOverdueNever' : 'alertReconcileOverdue')
    .replace('{source}', name)
    .replace('{since}', since ? formats.minuteDateTime(since) : '?')
    .replace('{every}', everyWords(t, text('every')));
  const command = text('command') ?? `webpig reconcile --source ${source ?? '?'}`;
  return [{ text: `${main}. ` }, ...withCommand(t('alertReconcileOverdueTodo'), command)];
}

/** `15m` as "15 min", `1d` as "1 día" / "1 day": how often the worker reconciles, in words. */
function everyWords(t: Translate, every: string | null): string {
  const match = /^(\d+)(s|m|h|d)$/.exec(every ?? '15m');
  if (!match) return every ?? '?';
  const count = Number(match[1]);
  if (match[2] === 'd') return `${count} ${t(count === 1 ? 'alertReconcileEveryDay' : 'alertReconcileEveryDays')}`;
  return `${count} ${match[2] === 'm' ? 'min' : match[2]}`;
}

/**
 * The server's own words, shown folded as the technical detail where the text above leaves them
 * out: a dead event's error, a stopped reconciliation's (the provider's message names the setting
 * to check when it refused the key). Null: the text says it all.
 */
export function alertTechnicalDetail(alert: Pick<AlertFacts, 'kind' | 'message' | 'details'>): string | null {
  if (alert.kind === 'dead') return alert.message;
  if (effectiveKind(alert) !== 'reconcile_failed') return null;
  return typeof alert.details?.error === 'string' ? alert.details.error : alert.message;
}

/** "ref 123 · $ 100.000" for one payment of a paid-twice alert. */
function payerText(value: unknown, formats: Formats): string {
  const payment = (value ?? {}) as { refPayco?: unknown; amount?: unknown; currency?: unknown };
  const amount =
    typeof payment.amount === 'number'
      ? formats.money(payment.amount, typeof payment.currency === 'string' ? payment.currency : undefined)
      : '?';
  return `ref ${String(payment.refPayco ?? '?')} · ${amount}`;
}

/** The alert's text as a sentence: a full stop only when it does not already end in one. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`;
}
