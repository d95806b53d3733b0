import type { AlertRecord, EventSummary } from '../../core/types.js';
import type { ApiContext } from './context.js';

/**
 * The payment an alert is about, as a person recognises it: the customer's name, the amount and
 * the references of its event's summary ("Event #3 failed for good" names no one). Only what the
 * events list shows the same readers (events:read) anyway; null for an alert about no event, or
 * one whose event is gone (purged) or says none of these.
 */
export interface AlertPayment {
  customer?: string;
  amount?: number;
  currency?: string;
  references?: Record<string, string>;
}

function paymentOf(summary: EventSummary): AlertPayment | null {
  const payment: AlertPayment = {};
  if (summary.customer?.name) payment.customer = summary.customer.name;
  if (summary.amount !== undefined) payment.amount = summary.amount;
  if (summary.currency) payment.currency = summary.currency;
  if (summary.references && Object.keys(summary.references).length > 0) payment.references = summary.references;
  return Object.keys(payment).length > 0 ? payment : null;
}

/**
 * Each alert with its event's payment: the page's events' summaries in one store query (not one
 * event read per alert), each event once however many alerts name it.
 */
export async function withPayments<A extends Pick<AlertRecord, 'eventId'>>(
  ctx: ApiContext,
  alerts: A[],
): Promise<Array<A & { payment: AlertPayment | null }>> {
  const ids = [...new Set(alerts.map((alert) => alert.eventId).filter((id): id is number => id !== null))];
  const summaries = await ctx.store.getEventSummaries(ids);
  const payment = (eventId: number | null): AlertPayment | null => {
    const summary = eventId === null ? undefined : summaries.get(eventId);
    return summary ? paymentOf(summary) : null;
  };
  return alerts.map((alert) => ({ ...alert, payment: payment(alert.eventId) }));
}
