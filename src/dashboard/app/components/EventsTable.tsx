import { useSession } from '../context.js';
import type { MessageKey } from '../i18n.js';
import { columnLabel, pipelineColumns, pipelineInfo, pipelineLabel, stageLabel } from '../labels.js';
import { sourceDisplayName } from '../source-names.js';
import type { ColumnInfo, EventRow, TransactionStatus } from '../types.js';
import { FailureCell } from './FailureCell.js';
import { ReconciledBadge } from './ReconciledBadge.js';
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

/** A click without modifier keys: ctrl/cmd/shift-click keeps opening the link in a new tab. */
function plainClick(click: MouseEvent): boolean {
  return click.button === 0 && !click.ctrlKey && !click.metaKey && !click.shiftKey && !click.altKey;
}

/** An e-mail that may wrap before its @ (a narrow column), never inside a name first. */
function emailWithBreak(email: string) {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email;
  return (
    <>
      {email.slice(0, at)}
      <wbr />
      {email.slice(at)}
    </>
  );
}

export function isRetriable(event: EventRow): boolean {
  return event.status === 'dead' || event.status === 'retrying';
}

interface EventsTableProps {
  rows: EventRow[];
  /** The pipeline chosen in the filters ('' = all): its columns get a header each. */
  pipeline: string;
  onOpenCell: (eventId: number, columnKey: string) => void;
  onOpenEvent: (eventId: number) => void;
  onRetry: (event: EventRow) => void;
  busy: ReadonlySet<number>;
  /** Events retried from this page whose outcome is not known yet. */
  watching: ReadonlySet<number>;
}

/**
 * One row per event. With one pipeline (chosen, or the only one) each of its columns has a
 * header; with several, each row shows its own pipeline's columns as labelled icons in one
 * "Stages" cell, so a Stripe order never shows the Facturador's columns.
 */
export function EventsTable({ rows, pipeline, onOpenCell, onOpenEvent, onRetry, busy, watching }: EventsTableProps) {
  const { t, formats, config, can, language } = useSession();
  const mayRetry = can('events:retry');
  const single = pipeline || (config.pipelines.length === 1 ? (config.pipelines[0]?.name ?? '') : '');
  const headed: ColumnInfo[] | null = single || config.pipelines.length === 0 ? pipelineColumns(config, single || null) : null;
  return (
    <div class="table-scroll">
      <table class="events" data-testid="events-table" data-mode={headed ? 'columns' : 'chips'}>
        <thead>
          <tr>
            <th scope="col">{t('id')}</th>
            <th scope="col">{t('customer')}</th>
            <th scope="col">{t('product')}</th>
            <th scope="col">{t('amount')}</th>
            <th scope="col">{t('transaction')}</th>
            <th scope="col">{t('status')}</th>
            <th scope="col">{t('whereWhy')}</th>
            {headed ? (
              headed.map((column) => (
                <th
                  scope="col"
                  key={column.key}
                  class="stage-head"
                  title={column.stages.map((stage) => stageLabel(config, language, stage, null)).join(', ')}
                >
                  {columnLabel(language, column)}
                </th>
              ))
            ) : (
              <th scope="col">{t('stages')}</th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((event) => {
            const customer = event.summary.customer ?? {};
            const product = event.summary.product ?? {};
            const retries = retryCount(event);
            const transaction = event.transactionStatus;
            // An ignored event ran no stage: no row of "not applicable" icons.
            const own = event.status === 'ignored' ? [] : pipelineColumns(config, event.pipeline);
            return (
              <tr key={event.id} data-event-id={event.id} class={`row-${event.status}`}>
                <td class="id-cell">
                  <a
                    class="link"
                    href={`/events/${event.id}`}
                    onClick={(click) => plainClick(click) && (click.preventDefault(), onOpenEvent(event.id))}
                  >
                    #{event.id}
                  </a>
                  <div class="muted small received">{formats.dateTime(event.receivedAt)}</div>
                  <div class="muted small origin">
                    <span data-source={event.source}>{sourceDisplayName(event.source, config.sourceKinds)}</span>
                    {!single && event.pipeline && pipelineInfo(config, event.pipeline)
                      ? ` · ${pipelineLabel(config, language, event.pipeline)}`
                      : ''}
                  </div>
                </td>
                <td class="customer">
                  {/* "—" only when nothing names the payer: an e-mail alone is who paid, not "—" above it. */}
                  {(customer.name || !(customer.documentId || customer.email || customer.phone)) && (
                    <div class="customer-name">{customer.name ?? '—'}</div>
                  )}
                  {customer.documentId && (
                    <div class="small">
                      {t('documentPrefix')} {customer.documentId}
                    </div>
                  )}
                  {customer.email && <div class="small muted email">{emailWithBreak(customer.email)}</div>}
                  {customer.phone && <div class="small muted">{customer.phone}</div>}
                </td>
                <td class="product" data-empty={!product.name && !product.id ? '' : undefined}>
                  <div class="product-name">{product.name ?? '—'}</div>
                  {product.id && <div class="small muted">{product.id}</div>}
                </td>
                <td class="amount" data-empty={event.summary.amount === undefined ? '' : undefined}>
                  {formats.money(event.summary.amount, event.summary.currency)}
                </td>
                <td class={`transaction transaction-${transaction ?? 'none'}`} data-empty={transaction ? undefined : ''}>
                  {transaction ? `${TRANSACTION_ICONS[transaction]} ${t(transaction as MessageKey)}` : '—'}
                </td>
                <td class="status-cell">
                  <div class="status-stack">
                    <span class={`status status-${event.status}`}>{t(`status_${event.status}` as const)}</span>
                    <ReconciledBadge event={event} />
                    {event.handled && (
                      <span
                        class="badge badge-handled"
                        data-testid="handled-badge"
                        title={`${t('handledBy')} ${event.handled.by} · ${formats.dateTime(event.handled.at)}: ${event.handled.reason}`}
                      >
                        ✓ {t('handledBadge')}
                      </span>
                    )}
                    {watching.has(event.id) && (
                      <span class="small watching" data-testid="watching" role="status">
                        ⟳ {t('retryWatching')}
                      </span>
                    )}
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
                        onClick={() => onRetry(event)}
                        data-testid={`retry-${event.id}`}
                      >
                        {t('retry')}
                      </button>
                    )}
                  </div>
                </td>
                <FailureCell event={event} onOpen={onOpenEvent} />
                {headed ? (
                  headed.map((column) => <StageCell key={column.key} t={t} event={event} column={column} onOpen={onOpenCell} />)
                ) : (
                  <td class="stages-cell">
                    <div class="chips">
                      {own.map((column) => (
                        <StageCell key={column.key} t={t} event={event} column={column} onOpen={onOpenCell} chip />
                      ))}
                    </div>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
