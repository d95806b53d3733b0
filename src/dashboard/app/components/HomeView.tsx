import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { dayIn, homeApi } from '../home-api.js';
import { homeWords, type HomeTranslate } from '../home-i18n.js';
import type { HomeSummary, Money, PeriodSummary } from '../home-types.js';
import { ignoreText } from '../ignore-reasons.js';
import { NO_FILTERS, type EventFilters } from '../types.js';
import { searchFromFilters } from '../url.js';
import { PinnedDead } from './PinnedDead.js';
import '../home.css';

type Notice = (message: string, isError?: boolean) => void;

interface HomeViewProps {
  /** Bumped by the dashboard when the live stream reports changes: the home reloads. */
  version: number;
  onShowEvents: (filters: EventFilters) => void;
  onOpenEvent: (eventId: number) => void;
  onNotice: Notice;
}

/** The events list with these filters: a real address (a new tab works), opened in place on a click. */
export function eventsHref(filters: Partial<EventFilters>): string {
  return `/${searchFromFilters({ ...NO_FILTERS, ...filters })}#/events`;
}

/**
 * The first page after sign-in: what needs someone now (counts that link to the events they
 * count), the money of today and this week in the configured currency and time zone, and the
 * dead events nobody handled yet. What each figure means is in the page's own help.
 */
export function HomeView({ version, onShowEvents, onOpenEvent, onNotice }: HomeViewProps) {
  const { language } = useSession();
  const words = homeWords(language);
  const [home, setHome] = useState<HomeSummary | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    homeApi
      .home()
      .then(setHome)
      .catch((error: unknown) => onNotice(error instanceof Error ? error.message : String(error), true));
  }, [version, reload]);
  if (!home) return <p class="muted">{words('homeTitle')}…</p>;

  const link = (filters: Partial<EventFilters>) => ({
    href: eventsHref(filters),
    onClick: (click: MouseEvent) => {
      if (click.ctrlKey || click.metaKey || click.shiftKey || click.button !== 0) return;
      click.preventDefault();
      onShowEvents({ ...NO_FILTERS, ...filters });
    },
  });
  const today = dayIn(home.today.since, home.timeZone);
  const weekStart = dayIn(home.week.since, home.timeZone);
  return (
    <div class="home" data-testid="home">
      <h2>{words('homeTitle')}</h2>
      <div class="home-counts" data-testid="home-counts">
        <Count testId="count-dead" tone="bad" value={home.attention.deadUnhandled} label={words('homeDead')} {...link({ status: 'dead' })}>
          <span class="small muted">
            {home.attention.dead} {words('homeDeadTotal')}
          </span>
        </Count>
        <Count
          testId="count-retrying"
          tone="warn"
          value={home.attention.retrying}
          label={words('homeRetrying')}
          {...link({ status: 'retrying' })}
        />
        <Count
          testId="count-processing"
          tone="info"
          value={home.attention.processing}
          label={words('homeProcessing')}
          {...link({ status: 'processing' })}
        >
          <span class="small muted">
            {home.attention.queued} {words('homeQueued').toLowerCase()}
          </span>
        </Count>
        <IgnoredCount period={home.week} words={words} {...link({ status: 'ignored', since: weekStart })} />
        <div class="count-card" data-testid="count-rejected" title={words('homeRejectedHelp')}>
          <span class="count-value">{home.today.rejected}</span>
          <span class="count-label">{words('homeRejectedToday')}</span>
          <span class="small muted">
            {home.week.rejected} {words('homeRejectedWeek')}
          </span>
        </div>
      </div>

      <h2>
        {words('homeMoney')} <span class="small muted">({home.currency})</span>
      </h2>
      <div class="home-money" data-testid="home-money">
        <MoneyCard testId="money-today" title={words('homeToday')} period={home.today} day={today} words={words} link={link} />
        <MoneyCard testId="money-week" title={words('homeWeek')} period={home.week} day={weekStart} words={words} link={link} />
      </div>
      <details class="home-help small" data-testid="home-help">
        <summary>{words('homeHelpSummary')}</summary>
        <ul>
          <li>{words('homeHelpReceived', { currency: home.currency })}</li>
          <li>{words('homeHelpInvoiced')}</li>
          <li>{words('homeHelpStuck')}</li>
          <li>{words('homeHelpInProgress')}</li>
          <li>{words('homeHelpTime', { timeZone: home.timeZone })}</li>
        </ul>
      </details>

      <h2>{words('homePinned')}</h2>
      <PinnedDead
        rows={home.pinned}
        total={home.attention.deadUnhandled}
        words={words}
        moreHref={eventsHref({ status: 'dead' })}
        onShowMore={link({ status: 'dead' }).onClick}
        onOpenEvent={onOpenEvent}
        onNotice={onNotice}
        onChanged={() => setReload((n) => n + 1)}
      />
    </div>
  );
}

interface CountProps {
  testId: string;
  tone: 'bad' | 'warn' | 'info';
  value: number;
  label: string;
  href: string;
  onClick: (click: MouseEvent) => void;
  children?: ComponentChildren;
}

function Count({ testId, tone, value, label, href, onClick, children }: CountProps) {
  return (
    <a class={`count-card count-${value > 0 ? tone : 'zero'}`} data-testid={testId} href={href} onClick={onClick}>
      <span class="count-value">{value}</span>
      <span class="count-label">{label}</span>
      {children}
    </a>
  );
}

function IgnoredCount({
  period,
  words,
  href,
  onClick,
}: {
  period: PeriodSummary;
  words: HomeTranslate;
  href: string;
  onClick: (click: MouseEvent) => void;
}) {
  const { t } = useSession();
  const total = period.ignored.reduce((n, reason) => n + reason.events, 0);
  return (
    <a class="count-card count-zero" data-testid="count-ignored" href={href} onClick={onClick}>
      <span class="count-value">{total}</span>
      <span class="count-label">{words('homeIgnoredWeek')}</span>
      <ul class="reasons small">
        {period.ignored.map((reason) => {
          const sentence = ignoreText(t, { kind: reason.kind ?? '', detail: '' }).replace(/:\s*$/, '');
          return (
            <li key={reason.kind ?? 'none'} title={sentence}>
              {reason.events} · {shortIgnoreReason(words, reason.kind) ?? sentence}
            </li>
          );
        })}
      </ul>
    </a>
  );
}

/**
 * A reason in a few words, for the card: the full sentence (the events table's) made the card
 * taller than the rest of the row. It stays the line's title. Null for a kind the page does not know.
 */
function shortIgnoreReason(words: HomeTranslate, kind: string | null): string | null {
  switch (kind) {
    case 'stale_transition':
      return words('homeIgnoredStale');
    case 'invalid_transition':
      return words('homeIgnoredInvalid');
    case 'no_pipeline':
      return words('homeIgnoredNoPipeline');
    case 'not_applicable':
      return words('homeIgnoredNotApplicable');
    default:
      return null;
  }
}

interface MoneyCardProps {
  testId: string;
  title: string;
  period: PeriodSummary;
  /** The first day of the period, for the events filter. */
  day: string;
  words: HomeTranslate;
  link: (filters: Partial<EventFilters>) => { href: string; onClick: (click: MouseEvent) => void };
}

function MoneyCard({ testId, title, period, day, words, link }: MoneyCardProps) {
  const { formats } = useSession();
  const paid = { transactionStatus: 'accepted' as const, since: day };
  const line = (key: string, label: string, money: Money, filters: Partial<EventFilters>, tone = '') => (
    <tr data-testid={`${testId}-${key}`} class={tone}>
      <th scope="row">
        <a {...link({ ...paid, ...filters })}>{label}</a>
      </th>
      <td class="money-amount">{formats.money(money.amount, undefined)}</td>
      <td class="small muted">
        {money.events} {money.events === 1 ? words('homePayment') : words('homePayments')}
      </td>
    </tr>
  );
  return (
    <section class="money-card" data-testid={testId}>
      <h3>{title}</h3>
      <table>
        <tbody>
          {line('received', words('homeReceived'), period.money.received, {})}
          {line('invoiced', words('homeInvoiced'), period.money.invoiced, { status: 'succeeded' })}
          {line(
            'stuck',
            words('homeStuck'),
            period.money.stuck,
            { columnState: 'error' },
            period.money.stuck.events > 0 ? 'money-stuck' : '',
          )}
          {line('in-progress', words('homeInProgress'), period.money.inProgress, { status: 'queued' })}
        </tbody>
      </table>
      {period.money.otherCurrency > 0 && (
        <p class="small muted">
          + {period.money.otherCurrency} {period.money.otherCurrency === 1 ? words('homePayment') : words('homePayments')}{' '}
          {words('homeOtherCurrency')}
        </p>
      )}
    </section>
  );
}
