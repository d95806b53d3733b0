import { request } from './api.js';
import type { HomeSummary, MetricsSeries } from './home-types.js';
import type { EventRow } from './types.js';

/** The home page's and the metrics view's calls (docs/api.md). */
export const homeApi = {
  home: () => request<HomeSummary>('GET', '/api/home'),
  markHandled: (eventId: number, reason: string) =>
    request<{ event: EventRow; handled: { at: string; by: string; reason: string } }>('POST', `/api/events/${eventId}/handled`, { reason }),
  /** The server's last 24 hours (its clock, not the browser's). */
  metrics: () => request<MetricsSeries>('GET', '/api/metrics'),
};

/** The calendar day (YYYY-MM-DD) an instant falls on in the time zone: what the date filters take. */
export function dayIn(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}
