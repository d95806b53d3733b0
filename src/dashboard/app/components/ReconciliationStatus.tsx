import { useEffect, useState } from 'preact/hooks';
import { reconciliationStates } from '../reconciliation-cache.js';
import { useSession } from '../context.js';
import type { ReconciliationView } from '../types.js';

/**
 * One line per reconciled source above the events: when it was last reconciled and how many
 * payments it recovered (events whose webhooks never arrived). Nothing when none is reconciled.
 */
export function ReconciliationStatus() {
  const { t, formats } = useSession();
  const [items, setItems] = useState<ReconciliationView[]>([]);
  useEffect(() => {
    // Optional context for the events list: a failure here must not get in the way.
    reconciliationStates().then(
      (reply) => setItems(reply),
      () => setItems([]),
    );
  }, []);
  if (items.length === 0) return null;
  return (
    <section class="reconciliation" data-testid="reconciliation-status" aria-label={t('reconciliationTitle')}>
      <strong>{t('reconciliationTitle')}</strong>
      <ul>
        {items.map((item) => (
          <li key={item.source} data-source={item.source}>
            <span class="source-name">{item.source}</span>
            {' · '}
            {t('reconciliationLast')}: {item.lastFinishedAt ? formats.dateTime(item.lastFinishedAt) : t('reconciliationNever')}
            {' · '}
            <span class={item.totalRecovered > 0 ? 'recovered warn' : 'recovered'}>
              {t('reconciliationRecovered')}: {item.totalRecovered} ({item.lastRecovered} {t('reconciliationLastRun')})
            </span>
            {item.interrupted && <span class="muted"> · {t('reconciliationInterrupted')}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
