import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import type { Translate } from '../i18n.js';
import { reconciliationStates } from '../reconciliation-cache.js';
import { paymentReconciliation, type PaymentReconciliation } from '../reconciliation-state.js';
import { sourceDisplayName } from '../source-names.js';
import type { EventRow, ReconciliationView } from '../types.js';

/**
 * One line of the event's facts: was this payment checked at its provider (reconciliation-state.ts)?
 * What the events list says per source, said here for the one payment being looked at.
 */
export function PanelReconciliation({ event }: { event: Pick<EventRow, 'origin' | 'source' | 'occurredAt'> }) {
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
  }, [event.source, event.occurredAt]);
  if (event.origin !== 'reconciliation' && sources === null) return null;
  const state = paymentReconciliation(event, sources ?? []);
  // The dates a run covered are a period of days and hours: to the minute, as people write them.
  const date = (iso: string | null) => (iso === null ? '' : formats.minuteDateTime(iso));
  const text = reconciliationText(state, t, date, sourceDisplayName(event.source));
  return (
    <>
      <dt>{t('reconcilePanelTitle')}</dt>
      <dd data-testid="panel-reconciliation" data-state={state.kind} class={state.kind === 'found' ? 'warn-text' : undefined}>
        {text}
      </dd>
    </>
  );
}

function reconciliationText(state: PaymentReconciliation, t: Translate, date: (iso: string | null) => string, source: string): string {
  switch (state.kind) {
    case 'found':
      return t('reconcileFound');
    case 'covered':
      return t('reconcileCovered').replace('{from}', date(state.from)).replace('{until}', date(state.until));
    case 'after_covered':
      return t('reconcileAfterCovered').replace('{until}', date(state.until));
    case 'before_covered':
      return t('reconcileBeforeCovered').replace('{from}', date(state.from)).replace('{until}', date(state.until));
    case 'by_references':
      return t('reconcileByReferences').replace('{source}', source).replace('{date}', date(state.lastFinishedAt));
    case 'window_unknown':
      return t('reconcileWindowUnknown').replace('{date}', date(state.lastFinishedAt));
    case 'pending':
      return t('reconcilePendingNever');
    case 'not_reconciled':
      return t('reconcileNotReconciled').replace('{source}', source);
  }
}
