import { EVENT_STATUSES, NO_FILTERS, STATUS_GROUPS, TRANSACTION_STATUSES, type EventFilters } from './types.js';

/**
 * The page's address says what is on screen, so it can be shared: `/events/<id>` opens that
 * event's panel, the events filters are the query (`?status=dead&columnState=error`), the view
 * is the hash (`#/flags`). The server answers `/events/<id>` with the page (src/dashboard/plugin.ts).
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromSearch(search: string): EventFilters {
  const params = new URLSearchParams(search);
  const text = (key: string, max = 200) => (params.get(key) ?? '').slice(0, max);
  const status = text('status');
  const transactionStatus = text('transactionStatus');
  const day = (key: string) => (DAY.test(text(key)) ? text(key) : '');
  const yesNo = (key: string) => (text(key) === 'true' || text(key) === 'false' ? (text(key) as 'true' | 'false') : '');
  return {
    ...NO_FILTERS,
    status: [...EVENT_STATUSES, ...STATUS_GROUPS].includes(status as never) ? (status as EventFilters['status']) : '',
    transactionStatus: (TRANSACTION_STATUSES as readonly string[]).includes(transactionStatus)
      ? (transactionStatus as EventFilters['transactionStatus'])
      : '',
    source: text('source', 100),
    columnState: text('columnState') === 'error' ? 'error' : '',
    pipeline: text('pipeline', 100),
    since: day('since'),
    until: day('until'),
    q: text('q'),
    currency: /^[A-Z]{3}$/.test(text('currency')) ? text('currency') : '',
    handled: yesNo('handled'),
    stagesOff: yesNo('stagesOff'),
    origin: text('origin') === 'reconciliation' || text('origin') === 'webhook' ? (text('origin') as EventFilters['origin']) : '',
  };
}

export function searchFromFilters(filters: EventFilters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value !== '') params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The event whose panel the path opens, or null. */
export function eventIdFromPath(path: string): number | null {
  const match = /^\/events\/(\d{1,15})\/?$/.exec(path);
  return match ? Number(match[1]) : null;
}

export function pathForEvent(eventId: number | null): string {
  return eventId === null ? '/' : `/events/${eventId}`;
}

/** The flag `#/flags/<key>` points at (an audit entry's link), or null. */
export function flagKeyFromHash(hash: string): string | null {
  const match = /^#\/flags\/([^/]+)$/.exec(hash);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null; // a mangled address: the flags view, no flag in particular
  }
}

/** The address of an alert on the alerts view (an audit entry's link): that alert, scrolled to and outlined. */
export function alertHref(alertId: number): string {
  return `#/alerts/${alertId}`;
}

/** The alert `#/alerts/<id>` points at, or null. */
export function alertIdFromHash(hash: string): number | null {
  const match = /^#\/alerts\/(\d{1,15})$/.exec(hash);
  return match ? Number(match[1]) : null;
}
