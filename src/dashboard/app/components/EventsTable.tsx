import { useSession } from '../context.js';
import type { MessageKey } from '../i18n.js';
import type { EventRow, TransactionStatus } from '../types.js';
import { StageCell } from './cells.js';

const TRANSACTION_ICONS: Record<TransactionStatus, string> = {
  accepted: '✓',
  // Plain symbols, not emoji: they render on machines without an emoji font.
  rejected: '✗',
  pending: '…',
  reversed: '↩',
};

/** An event is "retried more than once" when it ran more than twice, by worker or by hand. */
export function retryCount(event: EventRow): number {
  return Math.max(event.attempts - 1, event.manualRetries);
}

export function isRetriable(event: EventRow): boolean {
  return event.status === 'dead' || event.status === 'retrying';
}

interface EventsTableProps {
  rows: EventRow[];
  onOpenCell: (eventId: number, columnKey: string) => void;
  onOpenEvent: (eventId: number) => void;
  onRetry: (eventId: number) => void;
  busy: ReadonlySet<number>;
}

export function EventsTable({ rows, onOpenCell, onOpenEvent, onRetry, busy }: EventsTableProps) {
  const { t, formats, config, can } = useSession();
  const mayRetry = can('events:retry');
  return (
    <div class="table-scroll">
      <table class="events" data-testid="events-table">
        <thead>
          <tr>
            <th scope="col">{t('id')}</th>
            <th scope="col">{t('customer')}</th>
            <th scope="col">{t('product')}</th>
            <th scope="col">{t('amount')}</th>
            <th scope="col">{t('transaction')}</th>
            <th scope="col">{t('status')}</th>
            {config.columns.map((column) => (
              <th scope="col" key={column.key} class="stage-head" title={column.stages.join(', ')}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((event) => {
            const customer = event.summary.customer ?? {};
            const product = event.summary.product ?? {};
            const retries = retryCount(event);
            const transaction = event.transactionStatus;
            return (
              <tr key={event.id} data-event-id={event.id} class={`row-${event.status}`}>
                <td class="id-cell">
                  <button type="button" class="link" onClick={() => onOpenEvent(event.id)}>
                    #{event.id}
                  </button>
                  <div class="muted small">{formats.dateTime(event.receivedAt)}</div>
                  <div class="muted small">{event.source}</div>
                </td>
                <td class="customer">
                  <div class="customer-name">{customer.name ?? '—'}</div>
                  {customer.documentId && <div class="small">CC {customer.documentId}</div>}
                  {customer.email && <div class="small muted">{customer.email}</div>}
                  {customer.phone && <div class="small muted">{customer.phone}</div>}
                </td>
                <td class="product">
                  <div class="product-name">{product.name ?? '—'}</div>
                  {product.id && <div class="small muted">{product.id}</div>}
                </td>
                <td class="amount">{formats.money(event.summary.amount, event.summary.currency)}</td>
                <td class={`transaction transaction-${transaction ?? 'none'}`}>
                  {transaction ? `${TRANSACTION_ICONS[transaction]} ${t(transaction as MessageKey)}` : '—'}
                </td>
                <td class="status-cell">
                  <div class="status-stack">
                  <span class={`status status-${event.status}`}>{t(`status_${event.status}` as const)}</span>
                  {retries > 1 && (
                    <span class="badge" title={`${t('attempts')}: ${event.attempts}`} data-testid="retry-badge">
                      ↻ {retries} {t('retries')}
                    </span>
                  )}
                  {mayRetry && isRetriable(event) && (
                    <button
                      type="button"
                      class="small-button"
                      disabled={busy.has(event.id)}
                      onClick={() => onRetry(event.id)}
                      data-testid={`retry-${event.id}`}
                    >
                      {t('retry')}
                    </button>
                  )}
                  </div>
                </td>
                {config.columns.map((column) => (
                  <StageCell key={column.key} t={t} event={event} column={column} onOpen={onOpenCell} />
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
