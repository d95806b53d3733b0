import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import { failureText } from '../failure-text.js';
import { refusalReason, refusedWords } from '../refused-i18n.js';
import { sourceDisplayName } from '../source-names.js';
import type { RejectedDeliveryView, RejectionsPage } from '../types.js';

/**
 * The refused deliveries (`#/refused`, opened from the home's amber card): newest first, a page at
 * a time, each one when, where it was sent, why in plain words and what to do; the stored
 * technical detail folded. Everything in a refusal was written by whoever sent it (the address, the
 * body, a reason that quotes them): shown only as text, its invisible characters made visible by the page's text hook (visible-text-hook.ts).
 */

const PAGE = 50;

function Refusal({ item }: { item: RejectedDeliveryView }) {
  const { language, formats, config } = useSession();
  const words = refusedWords(language);
  const reason = refusalReason(language, item.code);
  return (
    <li class="refusal" data-testid="refusal" data-code={item.code}>
      <div class="refusal-head">
        <span class="refusal-when">{formats.dateTime(item.at)}</span>
        <span>
          {words('sentTo')} <strong data-testid="refusal-source">{sourceDisplayName(item.source, config.sourceKinds)}</strong>
          {item.remoteAddress && (
            <span class="muted">
              {' '}
              {words('from')} {item.remoteAddress}
            </span>
          )}
        </span>
      </div>
      <p class="refusal-why" data-testid="refusal-why">
        {reason.why}
      </p>
      <p class="small" data-testid="refusal-todo">
        {reason.todo}
      </p>
      <details class="small">
        <summary>{words('technical')}</summary>
        <p class="refusal-tech" data-testid="refusal-reason">
          {words('status')}: {item.httpStatus} · {item.reason}
        </p>
        <p class="muted">{words('bodyStart')}:</p>
        <pre class="refusal-body" data-testid="refusal-body">
          {item.firstBytes}
        </pre>
      </details>
    </li>
  );
}

export function RefusedView({ onNotice }: { onNotice: (message: string, isError?: boolean) => void }) {
  const { t, language } = useSession();
  const words = refusedWords(language);
  const [items, setItems] = useState<RejectedDeliveryView[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [refused, setRefused] = useState<RejectionsPage['refused'] | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (before: number | null) => {
    setBusy(true);
    try {
      const page = await api.rejections(before, PAGE);
      setItems((current) => (before === null ? page.items : [...(current ?? []), ...page.items]));
      setNextBefore(page.nextBefore);
      setRefused(page.refused);
    } catch (error) {
      onNotice(failureText(t, error), true);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load(null);
  }, []);

  return (
    <section class="refused" data-testid="refused-view">
      <p class="small">
        <a href="#/home">← {words('back')}</a>
      </p>
      <h2>{words('title')}</h2>
      <p class="small muted">{words('intro')}</p>
      {/* Counted by the server over the whole log, not the rows loaded here: the home card's figures. */}
      {refused && (
        <p class="refused-counts" data-testid="refused-counts">
          <strong data-testid="refused-today">{refused.today}</strong> {words('countToday')} ·{' '}
          <strong data-testid="refused-week">{refused.week}</strong> {words('countWeek')}
        </p>
      )}
      {items === null && <p class="muted">{words('loading')}</p>}
      {items !== null && items.length === 0 && <p class="muted">{words('none')}</p>}
      {items !== null && items.length > 0 && (
        <>
          <p class="small muted" data-testid="refused-shown">
            {items.length === 1 ? words('shownOne') : words('shown', items.length)}
          </p>
          <ul class="refusals">
            {items.map((item) => (
              <Refusal key={item.id} item={item} />
            ))}
          </ul>
        </>
      )}
      {nextBefore !== null && (
        <button type="button" data-testid="refused-more" disabled={busy} onClick={() => void load(nextBefore)}>
          {words('loadMore')}
        </button>
      )}
    </section>
  );
}
