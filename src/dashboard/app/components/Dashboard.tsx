import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Logo } from './Logo.js';
import { api, ApiError, eventsExportUrl } from '../api.js';
import { useSession } from '../context.js';
import { useLiveChanges, type Changes } from '../live.js';
import { stageLabel } from '../labels.js';
import type { EventFilters, EventRow, Page } from '../types.js';
import { eventIdFromPath, filtersFromSearch, pathForEvent, searchFromFilters } from '../url.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DetailsPanel, type Selection } from './DetailsPanel.js';
import { EventsTable } from './EventsTable.js';
import { Filters } from './Filters.js';
import { FlagsPanel } from './FlagsPanel.js';
import { AlertsView } from './AlertsView.js';
import { AuditView } from './AuditView.js';
import { BulkRetryDialog } from './BulkRetryDialog.js';
import { bulkText } from '../i18n-bulk.js';
import { HomeView } from './HomeView.js';
import { MetricsView } from './MetricsView.js';
import { ReconciliationStatus } from './ReconciliationStatus.js';
import { RefusedView } from './RefusedView.js';
import { failureText } from '../failure-text.js';
import { eventSubject } from '../event-subject.js';

export type View = 'home' | 'events' | 'alerts' | 'metrics' | 'flags' | 'audit' | 'refused';
/** The tabs; `#/refused` is opened from the home's refused-deliveries card, not a tab of its own. */
const TABS = ['home', 'events', 'alerts', 'metrics', 'flags', 'audit'] as const satisfies readonly View[];
const VIEWS: View[] = [...TABS, 'refused'];

/**
 * The view the hash names; without one, the home (what needs attention) — unless the address
 * carries events filters or an event (a shared link to rows), which the events view shows.
 */
function viewFromHash(): View {
  // `#/flags/<key>` is the flags view with that flag in sight.
  const name = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  if ((VIEWS as string[]).includes(name)) return name as View;
  return location.search || eventIdFromPath(location.pathname) !== null ? 'events' : 'home';
}

/** The API's order: newest stored first (ids grow with every insert). */
function newestFirst(a: EventRow, b: EventRow): number {
  return b.id - a.id;
}

/** The panel the address opens: `/events/<id>` (a cell's column rides in the history state). */
function selectionFromLocation(): Selection | null {
  const eventId = eventIdFromPath(location.pathname);
  if (eventId === null) return null;
  const columnKey = (history.state as { columnKey?: unknown } | null)?.columnKey;
  return { eventId, columnKey: typeof columnKey === 'string' ? columnKey : null };
}

/** Statuses after which a retry's outcome is known. */
const SETTLED = new Set(['succeeded', 'dead', 'retrying', 'ignored']);

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

/** How often the reconciliation line is asked again when no event changes. (Default: 60 s) */
const STATUS_REFRESH_MS = 60_000;

interface Notice {
  message: string;
  isError: boolean;
}

export function Dashboard({ onSignOut, onToggleLanguage }: { onSignOut: () => void; onToggleLanguage: () => void }) {
  const { t, me, config, language, can, formats } = useSession();
  const [view, setView] = useState<View>(viewFromHash);
  const [filters, setFilters] = useState<EventFilters>(() => filtersFromSearch(location.search));
  const [rows, setRows] = useState<EventRow[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [selection, setSelection] = useState<Selection | null>(selectionFromLocation);
  const [detailVersion, setDetailVersion] = useState(0);
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const [watching, setWatching] = useState<ReadonlySet<number>>(new Set());
  const [confirmRetry, setConfirmRetry] = useState<EventRow | null>(null);
  const [bulkOpen, setBulkOpen] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [homeVersion, setHomeVersion] = useState(0);
  const watchingRef = useRef(watching);
  watchingRef.current = watching;
  /** Whether this page pushed the open panel's history entry (then closing goes back). */
  const pushedRef = useRef(false);
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
    const onPop = () => {
      pushedRef.current = false;
      setSelection(selectionFromLocation());
      // Only a different query reloads the rows (closing a panel goes back without one).
      setFilters((current) => (searchFromFilters(current) === location.search ? current : filtersFromSearch(location.search)));
    };
    window.addEventListener('hashchange', onHash);
    window.addEventListener('popstate', onPop);
    // The address may have changed between the first render and this effect (a link followed
    // as soon as the page showed): without this, that change is never seen.
    onHash();
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('popstate', onPop);
    };
  }, []);

  // The filters live in the address: a reload or a shared link shows the same rows.
  useEffect(() => {
    const search = searchFromFilters(filters);
    if (search !== location.search) history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
  }, [filters]);

  const loadFirstPage = useCallback(async (current: EventFilters) => {
    try {
      const page = await fetchEvents(current, config.timeZone, null);
      if (filtersRef.current !== current) return;
      setRows(page.items);
      setNextCursor(page.nextCursor);
    } catch (error) {
      showNotice(failureText(t, error), true);
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
      showNotice(failureText(t, error), true);
    }
  };

  /** Says how a retry from this page ended, once the event settles (live, through the stream). */
  const reportOutcome = (row: EventRow) => {
    if (!watchingRef.current.has(row.id) || !SETTLED.has(row.status)) return;
    setWatching((current) => new Set([...current].filter((id) => id !== row.id)));
    if (row.status === 'succeeded') {
      showNotice(`#${row.id} ${t('retryOutcomeOk')}`);
      return;
    }
    const where = row.failure?.stage ? ` ${t('failedAt')} ${stageLabel(config, language, row.failure.stage, row.pipeline)}.` : '';
    showNotice(`#${row.id} ${t('retryOutcomeFailed')}${where}`, true);
  };

  const replaceRow = (row: EventRow) => {
    reportOutcome(row);
    setRows((current) => {
      const others = (current ?? []).filter((old) => old.id !== row.id);
      return [...others, row].sort(newestFirst);
    });
  };

  const onChanges = async ({ eventIds, reconnected }: Changes) => {
    setHomeVersion((version) => version + 1);
    const open = selectionRef.current;
    if (open && eventIds.includes(open.eventId)) setDetailVersion((version) => version + 1);
    const known = new Set(rowsRef.current.map((row) => row.id));
    const unknown = eventIds.filter((id) => !known.has(id));
    if (reconnected || (unknown.length > 0 && hasFilters(filtersRef.current))) {
      await loadFirstPage(filtersRef.current);
      return;
    }
    // A row fetched while the filters changed may not belong to the new list: that list's own
    // load shows it if it does (a slow reply must not add rows the filter excludes).
    const filtersAsked = filtersRef.current;
    await Promise.all(
      eventIds.map(async (id) => {
        try {
          const { event } = await api.event(id);
          if (filtersRef.current === filtersAsked) replaceRow(event);
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) setRows((current) => (current ?? []).filter((row) => row.id !== id));
        }
      }),
    );
  };
  // Alerts open and resolve as events change: the alerts view reloads on each batch of changes.
  const [liveTick, setLiveTick] = useState(0);
  const live = useLiveChanges((changes) => {
    setLiveTick((tick) => tick + 1);
    void onChanges(changes);
  });
  // The reconciliation line reloads with the rows (a run that recovered payments adds events)
  // and once a minute besides (a run that found nothing new changes no event, only its time).
  const [minuteTick, setMinuteTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setMinuteTick((tick) => tick + 1), STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const retry = async (eventId: number) => {
    setBusy((current) => new Set([...current, eventId]));
    try {
      const { event } = await api.retry(eventId);
      setWatching((current) => new Set([...current, eventId]));
      watchingRef.current = new Set([...watchingRef.current, eventId]);
      replaceRow(event);
      setDetailVersion((version) => version + 1);
      showNotice(`${t('retried')} #${eventId}`);
    } catch (error) {
      showNotice(failureText(t, error), true);
    } finally {
      setBusy((current) => new Set([...current].filter((id) => id !== eventId)));
    }
  };

  /** A permanent error fails the same way again unless something changed: ask first. */
  const requestRetry = async (event: EventRow) => {
    if (event.failure && !event.failure.error.retriable) {
      setConfirmRetry(event);
      return;
    }
    await retry(event.id);
  };

  /** A count on the home opens the events list with its filter, as a new history entry. */
  const showEvents = useCallback((next: EventFilters) => {
    history.pushState(null, '', `/${searchFromFilters(next)}#/events`);
    setFilters(next);
    setView('events');
  }, []);

  const open = useCallback((next: Selection) => {
    history.pushState({ columnKey: next.columnKey }, '', `${pathForEvent(next.eventId)}${location.search}${location.hash}`);
    pushedRef.current = true;
    setSelection(next);
  }, []);
  const openEvent = useCallback((eventId: number) => open({ eventId, columnKey: null }), []);
  const openCell = useCallback((eventId: number, columnKey: string) => open({ eventId, columnKey }), []);
  const closePanel = useCallback(() => {
    if (pushedRef.current) {
      history.back();
    } else {
      history.replaceState(null, '', `${pathForEvent(null)}${location.search}${location.hash}`);
      setSelection(null);
    }
  }, []);

  return (
    <div class={view === 'events' ? 'app app-events' : 'app'}>
      <header class="top">
        <h1>
          <Logo /> {t('title')}
        </h1>
        <nav aria-label="views">
          {TABS.map((name) => (
            <a key={name} href={`#/${name}`} class={view === name ? 'tab active' : 'tab'} aria-current={view === name ? 'page' : undefined}>
              {t(name)}
            </a>
          ))}
        </nav>
        <div class="who">
          <span class={live ? 'live on' : 'live off'} data-testid="live" data-live={String(live)}>
            ● {live ? t('live') : t('offline')}
          </span>
          <span class="small" data-testid="me">
            {me.email}
          </span>
          <button type="button" class="small-button" onClick={onToggleLanguage}>
            {t('language')}
          </button>
          <button type="button" class="small-button" onClick={onSignOut}>
            {t('signOut')}
          </button>
        </div>
      </header>
      {notice && (
        <div
          class={notice.isError ? 'notice notice-error' : 'notice'}
          role={notice.isError ? 'alert' : 'status'}
          data-testid="notice"
          onClick={() => setNotice(null)}
        >
          {notice.message}
        </div>
      )}
      <main>
        {view === 'events' && (
          <>
            <Filters value={filters} onChange={setFilters} />
            <div class="events-actions">
              {(can('events:retry') || can('stages:rerun')) && (
                <button type="button" class="small-button bulk-open" data-testid="bulk-open" onClick={() => setBulkOpen(true)}>
                  {bulkText(language)('bulkOpen')}
                </button>
              )}
              <a class="button small-button" data-testid="export-csv" href={eventsExportUrl(filters, config.timeZone, language)} download>
                {t('exportCsv')}
              </a>
            </div>
            <ReconciliationStatus version={liveTick + minuteTick} />
            {rows === null && <p class="muted">{t('loading')}</p>}
            {rows !== null && rows.length === 0 && <p class="muted">{t('noEvents')}</p>}
            {rows !== null && rows.length > 0 && (
              <EventsTable
                rows={rows}
                pipeline={filters.pipeline}
                onOpenCell={openCell}
                onOpenEvent={openEvent}
                onRetry={(event) => void requestRetry(event)}
                busy={busy}
                watching={watching}
              />
            )}
            {nextCursor && (
              <button type="button" onClick={() => void loadMore()}>
                {t('loadMore')}
              </button>
            )}
          </>
        )}
        {view === 'home' && (
          <HomeView version={homeVersion} onShowEvents={showEvents} onOpenEvent={openEvent} onNotice={showNotice} onRetry={retry} />
        )}
        {view === 'alerts' && <AlertsView onNotice={showNotice} onOpenEvent={openEvent} liveTick={liveTick} />}
        {view === 'metrics' && <MetricsView onNotice={showNotice} />}
        {view === 'flags' && <FlagsPanel onNotice={showNotice} />}
        {view === 'audit' && <AuditView onNotice={showNotice} onOpenEvent={openEvent} />}
        {view === 'refused' && <RefusedView onNotice={showNotice} />}
      </main>
      {selection && (
        <DetailsPanel selection={selection} version={detailVersion} onClose={closePanel} onRetry={requestRetry} onNotice={showNotice} />
      )}
      {bulkOpen && (
        <BulkRetryDialog filters={filters} onClose={() => setBulkOpen(false)} onDone={() => void loadFirstPage(filtersRef.current)} />
      )}
      {confirmRetry && (
        <ConfirmDialog
          title={t('retryPermanentTitle')}
          body={`${eventSubject(formats, confirmRetry)} — ${t('retryPermanentBody')}`}
          confirmLabel={t('retryAnyway')}
          onCancel={() => setConfirmRetry(null)}
          onConfirm={() => {
            const eventId = confirmRetry.id;
            setConfirmRetry(null);
            void retry(eventId);
          }}
        />
      )}
    </div>
  );
}
