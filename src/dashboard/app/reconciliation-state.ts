import type { EventRow, ReconciliationView } from './types.js';

/**
 * Whether one payment was checked against its provider's own records (docs/reconcile.md):
 * - found: reconciliation created it — the provider had it, its webhook never arrived;
 * - ran_after: received by webhook, and a reconciliation of its source finished after it arrived.
 *   That is not proof the run looked at this payment: a run lists a window of dates (the job's
 *   `lookBack`, or the command's `--since`; ePayco only the references it is given), and the store
 *   keeps when the last run finished, not which window it listed. The panel says so.
 * - pending: received by webhook, no reconciliation of its source has finished since;
 * - not_reconciled: its source is not reconciled at all, so nothing checks it.
 * Reconciliation looks for provider payments webpig lacks; a received webhook is authentic already.
 */
export type PaymentReconciliation =
  { kind: 'found' } | { kind: 'ran_after'; at: string } | { kind: 'pending'; lastFinishedAt: string | null } | { kind: 'not_reconciled' };

export function paymentReconciliation(
  event: Pick<EventRow, 'origin' | 'source' | 'receivedAt'>,
  sources: readonly ReconciliationView[],
): PaymentReconciliation {
  if (event.origin === 'reconciliation') return { kind: 'found' };
  const state = sources.find((candidate) => candidate.source === event.source);
  if (!state) return { kind: 'not_reconciled' };
  const finished = state.lastFinishedAt;
  if (finished !== null && Date.parse(finished) >= Date.parse(event.receivedAt)) return { kind: 'ran_after', at: finished };
  return { kind: 'pending', lastFinishedAt: finished };
}
