import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { reconciliationStates } from '../reconciliation-cache.js';
import { paymentReconciliation } from '../reconciliation-state.js';
import type { EventRow, ReconciliationView } from '../types.js';

/**
 * One line of the event's facts: was this payment checked at its provider (reconciliation-state.ts)?
 * What the events list says per source, said here for the one payment being looked at.
 */
export function PanelReconciliation({ event }: { event: Pick<EventRow, 'origin' | 'source' | 'receivedAt'> }) {
  const { t, formats } = useSession();
  const [sources, setSources] = useState<ReconciliationView[] | null>(null);
  useEffect(() => {
    let current = true;
    // Context for the panel: a failure to load it must not get in the way of the rest.
    reconciliationStates().then(
      (items) => current && setSources(items),
      () => current && setSources(null),
    );
    return () => {
      current = false;
    };
  }, [event.source, event.receivedAt]);
  if (event.origin !== 'reconciliation' && sources === null) return null;
  const state = paymentReconciliation(event, sources ?? []);
  const date = (iso: string | null) => (iso === null ? '' : formats.dateTime(iso));
  const text =
    state.kind === 'found'
      ? t('reconcileFound')
      : state.kind === 'ran_after'
        ? t('reconcileRanAfter').replace('{source}', event.source).replace('{date}', date(state.at))
        : state.kind === 'pending'
          ? state.lastFinishedAt === null
            ? t('reconcilePendingNever')
            : t('reconcilePending').replace('{date}', date(state.lastFinishedAt))
          : t('reconcileNotReconciled').replace('{source}', event.source);
  return (
    <>
      <dt>{t('reconcilePanelTitle')}</dt>
      <dd data-testid="panel-reconciliation" data-state={state.kind} class={state.kind === 'found' ? 'warn-text' : undefined}>
        {text}
      </dd>
    </>
  );
}
