import type {
  AlertView,
  AuditEntryView,
  BulkPreview,
  BulkRequest,
  BulkResult,
  RunPlan,
  DashboardConfig,
  EventDetails,
  EventFilters,
  EventRow,
  FlagChange,
  FlagView,
  Me,
  Metrics,
  Page,
  ReconciliationView,
  RejectionsPage,
  SignInMethods,
} from './types.js';
import { dayStartIn } from './format.js';

/** An error reply from the server, with its `{ error: { code, message } }` body kept. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The CSRF token comes from /api/me and goes back on every change made with the session cookie.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

// Called when an /api call answers 401 (the session expired or was signed out elsewhere).
let onUnauthorized: (() => void) | null = null;

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    if (response.status === 401 && path.startsWith('/api/') && path !== '/api/me') onUnauthorized?.();
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
  }
  return parsed as T;
}

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The list's filters as the API's query parameters (the days as instants in the dashboard's time zone). */
function filterParams(filters: EventFilters, timeZone: string): Record<string, string | undefined> {
  return {
    status: filters.status,
    transactionStatus: filters.transactionStatus,
    source: filters.source.trim(),
    columnState: filters.columnState,
    pipeline: filters.pipeline,
    since: dayStartIn(filters.since, timeZone),
    until: dayStartIn(filters.until, timeZone, 1),
    q: filters.q.trim(),
    currency: filters.currency,
    handled: filters.handled,
    stagesOff: filters.stagesOff,
    origin: filters.origin,
  };
}

/** The events list with these filters as a CSV file, in the page's language (a plain link: the session cookie goes with it). */
export function eventsExportUrl(filters: EventFilters, timeZone: string, language: 'es' | 'en'): string {
  return `/api/events/export${query({ ...filterParams(filters, timeZone), lang: language })}`;
}

export const api = {
  me: () => request<Me>('GET', '/api/me'),
  config: () => request<DashboardConfig>('GET', '/api/config'),
  events: (filters: EventFilters, timeZone: string, cursor: string | null, limit = 50) =>
    request<Page<EventRow>>('GET', `/api/events${query({ ...filterParams(filters, timeZone), cursor, limit })}`),
  event: (id: number) => request<EventDetails>('GET', `/api/events/${id}`),
  retry: (id: number, reason?: string) => request<{ event: EventRow }>('POST', `/api/events/${id}/retry`, reason ? { reason } : {}),
  rerunStage: (id: number, stage: string, reason?: string) =>
    request<{ event: EventRow }>('POST', `/api/events/${id}/stages/${encodeURIComponent(stage)}/rerun`, reason ? { reason } : {}),
  /** What re-running the stage will run: it and the stages it had blocked. */
  rerunPreview: (id: number, stage: string) =>
    request<{ plan: RunPlan }>('GET', `/api/events/${id}/stages/${encodeURIComponent(stage)}/rerun-preview`),
  bulkPreview: (bulk: BulkRequest) => request<{ preview: BulkPreview }>('POST', '/api/bulk/preview', bulk),
  /** Acts on `eventIds` only (a batch of what the preview listed). */
  bulkRun: (bulk: BulkRequest, reason: string, eventIds: number[]) =>
    request<{ result: BulkResult }>('POST', '/api/bulk/run', { ...bulk, reason, eventIds }),
  flags: () => request<{ items: FlagView[] }>('GET', '/api/flags'),
  setFlag: (key: string, value: boolean, reason: string) =>
    request<FlagView>('PUT', `/api/flags/${encodeURIComponent(key)}`, { value, reason }),
  flagHistory: (key: string) => request<Page<FlagChange>>('GET', `/api/flags/${encodeURIComponent(key)}/history?limit=20`),
  /** Stored alerts, plus those computed now (dead, retried more than once, stuck, error rates). */
  alerts: (includeResolved = false, cursor: string | null = null) => {
    const query = new URLSearchParams();
    if (includeResolved) query.set('include', 'resolved');
    if (cursor) query.set('cursor', cursor);
    const search = query.toString();
    return request<Page<AlertView> & { computed?: AlertView[] }>('GET', `/api/alerts${search ? `?${search}` : ''}`);
  },
  acknowledgeAlert: (id: number, reason: string) => request<{ alert: AlertView }>('POST', `/api/alerts/${id}/ack`, { reason }),
  muteAlert: (id: number, reason: string, minutes: number) =>
    request<{ alert: AlertView }>('POST', `/api/alerts/${id}/mute`, { reason, minutes }),
  /** `since`/`until` are ISO date-times with their offset; the page turns its dates into them. */
  audit: (filters: { action?: string; actor?: string; target?: string; since?: string; until?: string }) =>
    request<Page<AuditEntryView>>('GET', `/api/audit${query({ ...filters, limit: 100 })}`),
  allFlagHistory: (filters: { key?: string; actor?: string; since?: string; until?: string }) =>
    request<Page<FlagChange>>('GET', `/api/flag-history${query({ ...filters, limit: 100 })}`),
  metrics: (since: string) => request<Metrics>('GET', `/api/metrics${query({ since })}`),
  reconciliation: () => request<{ items: ReconciliationView[] }>('GET', '/api/reconciliation'),
  rejections: (before: number | null, limit = 50) =>
    request<RejectionsPage>(
      'GET',
      `/api/rejections${query({ limit: String(limit), before: before === null ? undefined : String(before) })}`,
    ),
  /** Which sign-ins the server offers; readable before anyone is signed in. */
  signInMethods: () => request<SignInMethods>('GET', '/auth/methods'),
  devLogin: (email: string) => request<unknown>('POST', '/auth/dev-login', { email }),
  logout: () => request<unknown>('POST', '/auth/logout', {}),
};
