import type { EventRow, ReconciliationView } from './types.js';

/**
 * Whether one payment was checked against its provider's own records (docs/reconcile.md). The
 * store keeps the one contiguous interval of provider time finished runs listed (`coveredFrom`
 * to `coveredUntil`), and the payment's time at the provider is its `occurredAt` (what a run's
 * window is over: Stripe's `created`, MercadoPago's dates), not when its webhook arrived.
 * - found: reconciliation created it — the provider had it, its webhook never arrived;
 * - covered: received by webhook, and its time lies in the interval: the provider's records of
 *   those dates were compared with webpig's;
 * - after_covered: its time is later than the interval: no run has listed it yet;
 * - before_covered: earlier than the interval: webpig has no record of a run that listed it;
 * - by_references: the source is looked up by references, not dates (ePayco): no window is
 *   claimed, the payment is compared only if its reference was among those given;
 * - window_unknown: runs finished, but before webpig recorded which dates they covered;
 * - pending: no reconciliation of its source has finished yet;
 * - not_reconciled: its source is not reconciled at all, so nothing checks it.
 * Reconciliation looks for provider payments webpig lacks; a received webhook is authentic already.
 */
export type PaymentReconciliation =
  | { kind: 'found' }
  | { kind: 'covered' | 'after_covered' | 'before_covered'; from: string; until: string }
  | { kind: 'by_references'; lastFinishedAt: string }
  | { kind: 'window_unknown'; lastFinishedAt: string }
  | { kind: 'pending' }
  | { kind: 'not_reconciled' };

export function paymentReconciliation(
  event: Pick<EventRow, 'origin' | 'source' | 'occurredAt'>,
  sources: readonly ReconciliationView[],
): PaymentReconciliation {
  if (event.origin === 'reconciliation') return { kind: 'found' };
  const state = sources.find((candidate) => candidate.source === event.source);
  if (!state) return { kind: 'not_reconciled' };
  // Recorded when a run finishes, so a finish time is there.
  if (state.coveredBy === 'references' && state.lastFinishedAt !== null)
    return { kind: 'by_references', lastFinishedAt: state.lastFinishedAt };
  const { coveredFrom: from, coveredUntil: until } = state;
  if (state.coveredBy === 'dates' && from !== null && until !== null) {
    const at = Date.parse(event.occurredAt);
    const kind = at < Date.parse(from) ? 'before_covered' : at > Date.parse(until) ? 'after_covered' : 'covered';
    return { kind, from, until };
  }
  if (state.lastFinishedAt !== null) return { kind: 'window_unknown', lastFinishedAt: state.lastFinishedAt };
  return { kind: 'pending' };
}
