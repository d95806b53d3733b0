import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { dayIn, homeApi } from '../home-api.js';
import { countWords, homeWords, type HomeTranslate } from '../home-i18n.js';
import type { HomeSummary, Money, PeriodSummary } from '../home-types.js';
import { ignoreText } from '../ignore-reasons.js';
import { NO_FILTERS, type EventFilters } from '../types.js';
import { searchFromFilters } from '../url.js';
import { PinnedDead } from './PinnedDead.js';
import { Count, RecoveredCount, RetryingCount } from './HomeCount.js';
import { DeliveriesCount, RefusedCount } from './DeliveryCounts.js';
import '../home.css';
import { failureText } from '../failure-text.js';

type Notice = (message: string, isError?: boolean) => void;

interface HomeViewProps {
  /** Bumped by the dashboard when the live stream reports changes: the home reloads. */
  version: number;
  onShowEvents: (filters: EventFilters) => void;
  onOpenEvent: (eventId: number) => void;
  onNotice: Notice;
  /** The dashboard's retry: it says how the retry ended when the live stream brings it. */
  onRetry: (eventId: number) => Promise<void>;
}

/** The failed events nobody handled: what "Fallidos sin atender" and the pinned list count. */
const UNHANDLED: Partial<EventFilters> = { status: 'dead', handled: 'false' };

/** The events list with these filters: a real address (a new tab works), opened in place on a click. */
export function eventsHref(filters: Partial<EventFilters>): string {
  return `/${searchFromFilters({ ...NO_FILTERS, ...filters })}#/events`;
}

/**
 * The first page after sign-in: what needs someone now (counts that link to the events they
 * count), the money of today and this week in the configured currency and time zone, and the
 * dead events nobody handled yet. What each figure means is in the page's own help.
 */
export function HomeView({ version, onShowEvents, onOpenEvent, onNotice, onRetry }: HomeViewProps) {
  const { t, language } = useSession();
  const words = homeWords(language);
  const [home, setHome] = useState<HomeSummary | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    homeApi
      .home()
      .then(setHome)
      .catch((error: unknown) => onNotice(failureText(t, error), true));
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
        <Count
          testId="count-dead"
          tone="bad"
          value={home.attention.deadUnhandled}
          label={words(home.attention.deadUnhandled === 1 ? 'homeDeadOne' : 'homeDead')}
          {...link(UNHANDLED)}
        >
          <span class="small muted">{countWords(words, home.attention.dead, 'homeDeadTotalOne', 'homeDeadTotal')}</span>
        </Count>
        <RetryingCount home={home} words={words} {...link({ status: 'retrying' })} />
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
        <DeliveriesCount home={home} words={words} {...link({ origin: 'webhook', since: today })} />
        <RefusedCount home={home} words={words} />
        <RecoveredCount home={home} words={words} {...link({ origin: 'reconciliation', since: weekStart })} />
      </div>

      <h2>
        {words('homeMoney')} <span class="small muted">({home.currency})</span>
      </h2>
      <div class="home-money" data-testid="home-money">
        <MoneyCard
          testId="money-today"
          title={words('homeToday')}
          period={home.today}
          day={today}
          currency={home.currency}
          words={words}
          link={link}
        />
        <MoneyCard
          testId="money-week"
          title={words('homeWeek')}
          period={home.week}
          day={weekStart}
          currency={home.currency}
          words={words}
          link={link}
        />
      </div>
      <details class="home-help small" data-testid="home-help">
        <summary>{words('homeHelpSummary')}</summary>
        <ul>
          <li>{words('homeHelpReceived', { currency: home.currency })}</li>
          <li>{words('homeHelpInvoiced')}</li>
          <li>{words('homeHelpStagesOff')}</li>
          <li>{words('homeHelpStuck')}</li>
          <li>{words('homeHelpHandled')}</li>
          <li>{words('homeHelpInProgress')}</li>
          <li>
            <strong>{words('homeHelpEquation')}</strong>
          </li>
          <li>{words('homeHelpReversed')}</li>
          <li>{words('homeHelpTime', { timeZone: home.timeZone })}</li>
          <li>{words('homeDeliveriesHelp')}</li>
          <li>{words('homeRejectedHelpLong')}</li>
          {home.reconciledSources.length > 0 && <li>{words('homeRecoveredHelp')}</li>}
        </ul>
      </details>

      <h2>{words('homePinned')}</h2>
      <PinnedDead
        rows={home.pinned}
        total={home.attention.deadUnhandled}
        words={words}
        moreHref={eventsHref(UNHANDLED)}
        onShowMore={link(UNHANDLED).onClick}
        onOpenEvent={onOpenEvent}
        onNotice={onNotice}
        onRetry={onRetry}
        onChanged={() => setReload((n) => n + 1)}
      />
    </div>
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
  const { t, language } = useSession();
  const total = period.ignored.reduce((n, reason) => n + reason.events, 0);
  return (
    <a class="count-card count-zero" data-testid="count-ignored" href={href} onClick={onClick}>
      <span class="count-value">{total}</span>
      <span class="count-label">{words(total === 1 ? 'homeIgnoredWeekOne' : 'homeIgnoredWeek')}</span>
      <ul class="reasons small">
        {period.ignored.map((reason) => {
          const sentence = ignoreText(t, language, { kind: reason.kind ?? '', detail: '' }).replace(/:\s*$/, '');
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
  /** The currency the card sums (the dashboard's). */
  currency: string;
  words: HomeTranslate;
  link: (filters: Partial<EventFilters>) => { href: string; onClick: (click: MouseEvent) => void };
}

/**
 * Today's or this week's money. Each line links to the events list selecting exactly the
 * payments it counts (docs/api.md, "Home"); received = the lines under it. Lines that only
 * sometimes apply (stages switched off, handled by hand, ignored, reversed) show when not empty.
 */
function MoneyCard({ testId, title, period, day, currency, words, link }: MoneyCardProps) {
  const { formats } = useSession();
  const { money } = period;
  const paid: Partial<EventFilters> = { transactionStatus: 'accepted', currency, since: day };
  const line = (key: string, label: string, figure: Money, filters: Partial<EventFilters>, tone = '') => (
    <tr key={key} data-testid={`${testId}-${key}`} class={tone}>
      <th scope="row">
        <a {...link(filters)} title={words('homeLinkTitle', { n: figure.events })}>
          {label}
        </a>
      </th>
      <td class="money-amount">{formats.money(figure.amount, currency)}</td>
      <td class="small muted money-count">{countWords(words, figure.events, 'homePayment', 'homePayments')}</td>
    </tr>
  );
  const optional = (key: string, label: string, figure: Money, filters: Partial<EventFilters>, tone = '') =>
    figure.events > 0 ? line(key, label, figure, { ...paid, ...filters }, `money-part ${tone}`) : null;
  return (
    <section class="money-card" data-testid={testId}>
      <h3>{title}</h3>
      <table>
        <tbody>
          {line('received', words('homeReceived'), money.received, paid, 'money-total')}
          {line('invoiced', words('homeInvoiced'), money.invoiced, { ...paid, status: 'succeeded', stagesOff: 'false' }, 'money-part')}
          {optional('stages-off', words('homeStagesOff'), money.stagesOff, { status: 'succeeded', stagesOff: 'true' }, 'money-warn')}
          {line(
            'stuck',
            words('homeStuck'),
            money.stuck,
            { ...paid, status: 'dead,retrying', handled: 'false' },
            money.stuck.events > 0 ? 'money-part money-stuck' : 'money-part',
          )}
          {optional('handled', words('homeHandled'), money.handled, { status: 'dead', handled: 'true' })}
          {line('in-progress', words('homeInProgress'), money.inProgress, { ...paid, status: 'queued,processing' }, 'money-part')}
          {optional('ignored', words('homeIgnored'), money.ignored, { status: 'ignored' })}
        </tbody>
        {money.reversed.events > 0 && (
          <tbody class="money-apart">
            {line('reversed', words('homeReversed'), money.reversed, { transactionStatus: 'reversed', currency, since: day })}
            <tr>
              <td colSpan={3} class="small muted">
                {words('homeReversedApart')}
              </td>
            </tr>
          </tbody>
        )}
        {money.otherCurrencies.length > 0 && <OtherCurrencies testId={testId} period={period} day={day} words={words} link={link} />}
      </table>
    </section>
  );
}

/** One line per other currency, in its own format, linking to its payments; not added to the card's sums. */
function OtherCurrencies({ testId, period, day, words, link }: Omit<MoneyCardProps, 'currency' | 'title'>) {
  const { formats } = useSession();
  return (
    <tbody class="money-others" data-testid={`${testId}-others`}>
      <tr>
        <td colSpan={3} class="small muted">
          {words('homeOtherCurrencies')}
        </td>
      </tr>
      {period.money.otherCurrencies.map((other) => (
        <tr key={other.currency ?? '-'} data-testid={`${testId}-other-${other.currency ?? 'none'}`}>
          <th scope="row">
            {other.currency === null ? (
              <span title={words('homeNoCurrencyTitle')}>{words('homeNoCurrency')}</span>
            ) : (
              <a
                {...link({ transactionStatus: 'accepted', currency: other.currency, since: day })}
                title={words('homeLinkTitle', { n: other.events })}
              >
                {other.currency}
              </a>
            )}
          </th>
          <td class="money-amount">{other.currency === null ? '' : formats.money(other.amount, other.currency)}</td>
          <td class="small muted money-count">{countWords(words, other.events, 'homePayment', 'homePayments')}</td>
        </tr>
      ))}
    </tbody>
  );
}
