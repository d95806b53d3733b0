import { useSession } from '../context.js';
import type { HomeTranslate } from '../home-i18n.js';
import type { HomeSummary } from '../home-types.js';
import { sourceDisplayName } from '../source-names.js';

/**
 * The home's cards about what reached the webhook addresses: the deliveries each provider sent
 * today (and this week), and those refused. Neither is a payment figure: the money cards are.
 */

type SourceCounts = Array<{ source: string; events: number; configured?: boolean }>;

/**
 * "12 · ePayco", one line per source, most first; at most `limit`, the rest summed in a last line.
 * A source no longer configured is named by its id, as written, and said so (`words`): it is not
 * the provider the page would otherwise name.
 */
function SourceLines({ counts, testId, words, limit = 3 }: { counts: SourceCounts; testId: string; words: HomeTranslate; limit?: number }) {
  const { config } = useSession();
  const shown = counts.length > limit ? counts.slice(0, limit - 1) : counts;
  const rest = counts.slice(shown.length).reduce((n, c) => n + c.events, 0);
  return (
    <ul class="reasons small" data-testid={testId}>
      {shown.map((c) => (
        <li key={c.source} data-source={c.source} data-configured={c.configured === false ? 'false' : undefined}>
          {/* A refused delivery's address is the sender's to write: its invisible characters shown. */}
          {c.events} · {c.configured === false ? c.source : sourceDisplayName(c.source, config.sourceKinds)}
          {c.configured === false && (
            <span class="muted" title={words('homeDeliveriesRemovedTitle')}>
              {' '}
              ({words('homeDeliveriesRemoved')})
            </span>
          )}
        </li>
      ))}
      {rest > 0 && <li>{words('homeSourcesRest', { n: rest })}</li>}
    </ul>
  );
}

/**
 * Webhooks received today per provider (each stored delivery once): that each provider is
 * still sending, which the Prometheus counter alone told before. Blue like the processing card: something to know, nothing to do.
 */
export function DeliveriesCount({
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
  const today = home.today.deliveries.reduce((n, c) => n + c.events, 0);
  const week = home.week.deliveries.reduce((n, c) => n + c.events, 0);
  return (
    <a
      class={`count-card count-${today > 0 ? 'info' : 'zero'}`}
      data-testid="count-deliveries"
      href={href}
      onClick={onClick}
      title={words('homeDeliveriesHelp')}
    >
      <span class="count-value">{today}</span>
      <span class="count-label">{words(today === 1 ? 'homeDeliveriesTodayOne' : 'homeDeliveriesToday')}</span>
      {today === 0 ? (
        <span class="small muted">{words('homeDeliveriesNone')}</span>
      ) : (
        <SourceLines counts={home.today.deliveries} testId="deliveries-by-source" words={words} limit={4} />
      )}
      <span class="small muted">{words('homeDeliveriesWeek', { n: week })}</span>
      {/* Not the money's "received" (accepted payments only): the two figures differ on purpose. */}
      {today > 0 && <span class="small muted">{words('homeDeliveriesKinds')}</span>}
    </a>
  );
}

/**
 * Deliveries refused today: amber when any, as the other cards that need someone are, with where
 * they were sent and what to do. Refused ones are not stored as events: the card opens their own
 * list (`#/refused`, RefusedView), which says each one's why in words.
 */
export function RefusedCount({ home, words }: { home: HomeSummary; words: HomeTranslate }) {
  const refused = home.today.rejected;
  return (
    <a
      class={`count-card count-${refused > 0 ? 'warn' : 'zero'}`}
      data-testid="count-rejected"
      href="#/refused"
      title={words('homeRejectedHelpLong')}
    >
      <span class="count-value">{refused}</span>
      <span class="count-label">{words(refused === 1 ? 'homeRejectedTodayOne' : 'homeRejectedToday')}</span>
      {refused > 0 && <SourceLines counts={home.today.rejectedBySource} testId="rejected-by-source" words={words} />}
      {refused > 0 && (
        <span class="small warn-text" data-testid="rejected-what">
          {words('homeRejectedWhat')}
        </span>
      )}
      <span class="small muted">
        {home.week.rejected} {words('homeRejectedWeek')}
      </span>
    </a>
  );
}
