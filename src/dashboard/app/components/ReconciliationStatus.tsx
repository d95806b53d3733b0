import { useEffect, useState } from 'preact/hooks';
import { reconciliationStates } from '../reconciliation-cache.js';
import { useSession } from '../context.js';
import { sourceDisplayName } from '../source-names.js';
import type { ReconciliationView } from '../types.js';

/**
 * One line per reconciled source above the events: when it was last reconciled and how many
 * payments it recovered (events whose webhooks never arrived), and whether a run is in progress (since
 * when, on which machine): until it ends the counts are the last finished run's. Nothing when none is reconciled.
 * Asked again whenever `version` changes (the page's refreshes), not only when the page loads.
 */
export function ReconciliationStatus({ version }: { version: number }) {
  const { t, formats } = useSession();
  const [items, setItems] = useState<ReconciliationView[]>([]);
  useEffect(() => {
    let current = true;
    // Optional context for the events list: a failure here must not get in the way (the last
    // answer stays). A refresh asks the server; the first load may reuse the panels' answer.
    reconciliationStates(Date.now(), version === 0 ? undefined : 0).then(
      (reply) => current && setItems(reply),
      () => current && version === 0 && setItems([]),
    );
    return () => {
      current = false;
    };
  }, [version]);
  if (items.length === 0) return null;
  return (
    <section class="reconciliation" data-testid="reconciliation-status" aria-label={t('reconciliationTitle')}>
      <strong>{t('reconciliationTitle')}</strong>
      <ul>
        {items.map((item) => (
          <li key={item.source} data-source={item.source}>
            <span class="source-name">{sourceDisplayName(item.source)}</span>
            {' · '}
            {t('reconciliationLast')}: {item.lastFinishedAt ? formats.dateTime(item.lastFinishedAt) : t('reconciliationNever')}
            {' · '}
            <span class={item.totalRecovered > 0 ? 'recovered warn' : 'recovered'}>
              {t('reconciliationRecovered')}: {item.totalRecovered} ({item.lastRecovered} {t('reconciliationLastRun')})
            </span>
            {item.interrupted && <span class="muted"> · {t('reconciliationInterrupted')}</span>}
            {item.runningSince && (
              // A run holds the source: its counts are not in yet, and a second run would be refused.
              <span class="running" data-testid="reconciliation-running">
                {' · '}
                {t('reconciliationRunning')} {formats.dateTime(item.runningSince)}
                {item.runningOn && ` ${t('reconciliationRunningOn')} ${item.runningOn}`}:{' '}
                {t(item.lastFinishedAt ? 'reconciliationPartial' : 'reconciliationPartialFirst')}
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
