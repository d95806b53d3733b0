import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Logo } from './Logo.js';
import { api, ApiError } from '../api.js';
import { useSession } from '../context.js';
import { useLiveChanges, type Changes } from '../live.js';
import { NO_FILTERS, type EventFilters, type EventRow, type Page } from '../types.js';
import { DetailsPanel, type Selection } from './DetailsPanel.js';
import { EventsTable } from './EventsTable.js';
import { Filters } from './Filters.js';
import { FlagsPanel } from './FlagsPanel.js';
import { AlertsView, MetricsView } from './OperationsViews.js';

export type View = 'events' | 'alerts' | 'metrics' | 'flags';
const VIEWS: View[] = ['events', 'alerts', 'metrics', 'flags'];

function viewFromHash(): View {
  const name = location.hash.replace(/^#\/?/, '');
  return (VIEWS as string[]).includes(name) ? (name as View) : 'events';
}

/** The API's order: newest stored first (ids grow with every insert). */
function newestFirst(a: EventRow, b: EventRow): number {
  return b.id - a.id;
}

function hasFilters(filters: EventFilters): boolean {
  return Object.values(filters).some((value) => value !== '');
}

/** Rows to gather before showing a page when the server's pages come back short. */
const PAGE_TARGET = 25;
/** Requests one "page" may take: column-state filters can leave server pages nearly empty. */
const MAX_REQUESTS_PER_PAGE = 10;

/** One page of rows, following `nextCursor` while the server's pages are short (docs/api.md). */
async function fetchEvents(filters: EventFilters, timeZone: string, cursor: string | null): Promise<Page<EventRow>> {
  const items: EventRow[] = [];
  let next = cursor;
  for (let request = 0; request < MAX_REQUESTS_PER_PAGE; request++) {
    const page = await api.events(filters, timeZone, next);
    items.push(...page.items);
    next = page.nextCursor;
    if (!next || items.length >= PAGE_TARGET || filters.columnState === '') break;
  }
  return { items, nextCursor: next };
}

interface Notice {
  message: string;
  isError: boolean;
}

export function Dashboard({ onSignOut, onToggleLanguage }: { onSignOut: () => void; onToggleLanguage: () => void }) {
  const { t, me, config } = useSession();
  const [view, setView] = useState<View>(viewFromHash);
  const [filters, setFilters] = useState<EventFilters>(NO_FILTERS);
  const [rows, setRows] = useState<EventRow[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [detailVersion, setDetailVersion] = useState(0);
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const [notice, setNotice] = useState<Notice | null>(null);
  const rowsRef = useRef<EventRow[]>([]);
  rowsRef.current = rows ?? [];
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const selectionRef = useRef(selection);
  selectionRef.current = selection;

  const showNotice = useCallback((message: string, isError = false) => setNotice({ message, isError }), []);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), notice.isError ? 8000 : 3000);
    return () => clearTimeout(timer);
  }, [notice]);

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const loadFirstPage = useCallback(async (current: EventFilters) => {
    try {
      const page = await fetchEvents(current, config.timeZone, null);
      if (filtersRef.current !== current) return;
      setRows(page.items);
      setNextCursor(page.nextCursor);
    } catch (error) {
      showNotice(error instanceof Error ? error.message : String(error), true);
    }
  }, []);

  useEffect(() => {
    void loadFirstPage(filters);
  }, [filters]);

  const loadMore = async () => {
    if (!nextCursor) return;
    try {
      const page = await fetchEvents(filters, config.timeZone, nextCursor);
      setRows((current) => [...(current ?? []), ...page.items.filter((row) => !current?.some((old) => old.id === row.id))]);
      setNextCursor(page.nextCursor);
    } catch (error) {
      showNotice(error instanceof Error ? error.message : String(error), true);
    }
  };

  const replaceRow = (row: EventRow) =>
    setRows((current) => {
      const others = (current ?? []).filter((old) => old.id !== row.id);
      return [...others, row].sort(newestFirst);
    });

  const onChanges = async ({ eventIds, reconnected }: Changes) => {
    const open = selectionRef.current;
    if (open && eventIds.includes(open.eventId)) setDetailVersion((version) => version + 1);
    const known = new Set(rowsRef.current.map((row) => row.id));
    const unknown = eventIds.filter((id) => !known.has(id));
    if (reconnected || (unknown.length > 0 && hasFilters(filtersRef.current))) {
      await loadFirstPage(filtersRef.current);
      return;
    }
    await Promise.all(
      eventIds.map(async (id) => {
        try {
          replaceRow((await api.event(id)).event);
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) setRows((current) => (current ?? []).filter((row) => row.id !== id));
        }
      }),
    );
  };
  const live = useLiveChanges((changes) => void onChanges(changes));

  const retry = async (eventId: number) => {
    setBusy((current) => new Set([...current, eventId]));
    try {
      const { event } = await api.retry(eventId);
      replaceRow(event);
      setDetailVersion((version) => version + 1);
      showNotice(`${t('retried')} #${eventId}`);
    } catch (error) {
      showNotice(error instanceof ApiError ? error.message : t('unknownError'), true);
    } finally {
      setBusy((current) => new Set([...current].filter((id) => id !== eventId)));
    }
  };

  const openEvent = useCallback((eventId: number) => setSelection({ eventId, columnKey: null }), []);
  const openCell = useCallback((eventId: number, columnKey: string) => setSelection({ eventId, columnKey }), []);
  const closePanel = useCallback(() => setSelection(null), []);

  return (
    <div class="app">
      <header class="top">
        <h1><Logo /> {t('title')}</h1>
        <nav aria-label="views">
          {VIEWS.map((name) => (
            <a key={name} href={`#/${name}`} class={view === name ? 'tab active' : 'tab'} aria-current={view === name ? 'page' : undefined}>
              {t(name)}
            </a>
          ))}
        </nav>
        <div class="who">
          <span class={live ? 'live on' : 'live off'} data-testid="live" data-live={String(live)}>
            ● {live ? t('live') : t('offline')}
          </span>
          <span class="small" data-testid="me">{me.email}</span>
          <button type="button" class="small-button" onClick={onToggleLanguage}>
            {t('language')}
          </button>
          <button type="button" class="small-button" onClick={onSignOut}>
            {t('signOut')}
          </button>
        </div>
      </header>
      {notice && (
        <div class={notice.isError ? 'notice notice-error' : 'notice'} role={notice.isError ? 'alert' : 'status'} data-testid="notice" onClick={() => setNotice(null)}>
          {notice.message}
        </div>
      )}
      <main>
        {view === 'events' && (
          <>
            <Filters value={filters} onChange={setFilters} />
            {rows === null && <p class="muted">{t('loading')}</p>}
            {rows !== null && rows.length === 0 && <p class="muted">{t('noEvents')}</p>}
            {rows !== null && rows.length > 0 && (
              <EventsTable rows={rows} onOpenCell={openCell} onOpenEvent={openEvent} onRetry={(id) => void retry(id)} busy={busy} />
            )}
            {nextCursor && (
              <button type="button" onClick={() => void loadMore()}>
                {t('loadMore')}
              </button>
            )}
          </>
        )}
        {view === 'alerts' && <AlertsView onNotice={showNotice} onOpenEvent={openEvent} />}
        {view === 'metrics' && <MetricsView onNotice={showNotice} />}
        {view === 'flags' && <FlagsPanel onNotice={showNotice} />}
      </main>
      {selection && (
        <DetailsPanel selection={selection} version={detailVersion} onClose={closePanel} onRetry={retry} onNotice={showNotice} />
      )}
    </div>
  );
}
