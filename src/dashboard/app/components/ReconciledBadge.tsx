import { useSession } from '../context.js';
import type { EventRow } from '../types.js';

/** Marks an event whose webhook never arrived: webpig found it by reconciliation (docs/reconcile.md). */
export function ReconciledBadge({ event }: { event: Pick<EventRow, 'origin'> }) {
  const { t } = useSession();
  if (event.origin !== 'reconciliation') return null;
  return (
    <span class="badge badge-reconciled" title={t('reconciledHint')} data-testid="reconciled-badge">
      ⇄ {t('reconciledBadge')}
    </span>
  );
}
