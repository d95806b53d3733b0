import type { ComponentChildren } from 'preact';
import { useSession } from '../context.js';
import type { HomeTranslate } from '../home-i18n.js';
import type { HomeSummary } from '../home-types.js';
import { nextRetryText } from '../next-attempt.js';
import { sourceDisplayName } from '../source-names.js';

/** The home's count cards: a figure that links to the events it counts. */

export interface CountProps {
  testId: string;
  tone: 'bad' | 'warn' | 'info';
  value: number;
  label: string;
  href: string;
  onClick: (click: MouseEvent) => void;
  /** What the figure means, on hover. */
  title?: string;
  children?: ComponentChildren;
}

export function Count({ testId, tone, value, label, href, onClick, title, children }: CountProps) {
  return (
    <a class={`count-card count-${value > 0 ? tone : 'zero'}`} data-testid={testId} href={href} onClick={onClick} title={title}>
      <span class="count-value">{value}</span>
      <span class="count-label">{label}</span>
      {children}
    </a>
  );
}

/**
 * The events waiting for an automatic retry: they are retried on their own, and when the nearest
 * retry is due (`attention.nextRetryAt`), or since when it is overdue.
 */
export function RetryingCount({
  home,
  words,
  href,
  onClick,
}: {
  home: HomeSummary;
  words: HomeTranslate;
  href: string;
  onClick: (click: MouseEvent) => void;
}) {
  const { formats } = useSession();
  const next = nextRetryText(words, formats, home);
  return (
    <Count testId="count-retrying" tone="warn" value={home.attention.retrying} label={words('homeRetrying')} href={href} onClick={onClick}>
      {/* What happens to them next, as the other cards say more than their number. */}
      <span class="small muted">{words('homeRetryingNext')}</span>
      {next && (
        <span class={next.overdue ? 'small warn-text' : 'small muted'} data-testid="next-retry">
          {next.text}
        </span>
      )}
    </Count>
  );
}

/**
 * Payments the provider has whose webhooks never arrived, found by reconciliation this week (and
 * today): they point at a broken webhook endpoint. Not shown where no source is reconciled: a zero
 * there would claim a check that never ran.
 */
export function RecoveredCount({
  home,
  words,
  href,
  onClick,
}: {
  home: HomeSummary;
  words: HomeTranslate;
  href: string;
  onClick: (click: MouseEvent) => void;
}) {
  const { formats } = useSession();
  if (home.reconciledSources.length === 0 && home.week.recovered === 0 && home.reconciling.length === 0) return null;
  const week = home.week.recovered;
  return (
    <Count
      testId="count-recovered"
      tone="warn"
      value={week}
      label={words(week === 1 ? 'homeRecoveredWeekOne' : 'homeRecoveredWeek')}
      title={words('homeRecoveredHelp')}
      href={href}
      onClick={onClick}
    >
      <span class="small muted">
        {home.today.recovered} {words('homeRecoveredToday')}
      </span>
      {/* A run in progress: the figure is not final until it ends (the events line says the same). */}
      {home.reconciling.map((run) => (
        <span key={run.source} class="small info-text" data-testid="recovered-running" data-source={run.source}>
          {words('homeRecoveredRunning', { source: sourceDisplayName(run.source), since: formats.dateTime(run.runningSince) })}
          {run.runningOn && ` ${words('homeRecoveredRunningOn', { machine: run.runningOn })}`}. {words('homeRecoveredRunningWhat')}
        </span>
      ))}
    </Count>
  );
}
