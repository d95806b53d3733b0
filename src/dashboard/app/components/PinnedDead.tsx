import { useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { explainError } from '../errors.js';
import { homeApi } from '../home-api.js';
import type { HomeTranslate } from '../home-i18n.js';
import { stageLabel } from '../labels.js';
import type { EventRow } from '../types.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { failureText } from '../failure-text.js';
import { eventSubject } from '../event-subject.js';

interface PinnedDeadProps {
  rows: EventRow[];
  /** How many dead events nobody handled (more than `rows` when the list is cut). */
  total: number;
  words: HomeTranslate;
  moreHref: string;
  onShowMore: (event: MouseEvent) => void;
  onOpenEvent: (eventId: number) => void;
  onNotice: (message: string, isError?: boolean) => void;
  /**
   * Retries through the dashboard, which then says how it ended (done, or failed again and
   * where): a retried event leaves this list while it runs and may come back looking the same.
   */
  onRetry: (eventId: number) => Promise<void>;
  onChanged: () => void;
}

/**
 * Dead events nobody handled, pinned on the home page: where and why each failed, with retry
 * and "mark as handled" (a reason is required; the server audits it and writes it to the
 * event's history). Retrying a permanent error asks first, as on the events list.
 */
export function PinnedDead({ rows, total, words, moreHref, onShowMore, onOpenEvent, onNotice, onRetry, onChanged }: PinnedDeadProps) {
  const { t, formats, config, language, can } = useSession();
  const [handling, setHandling] = useState<EventRow | null>(null);
  const [confirmRetry, setConfirmRetry] = useState<EventRow | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const mayAct = can('events:retry');

  const act = async (eventId: number, action: () => Promise<unknown>, done: string) => {
    setBusy(eventId);
    try {
      await action();
      onNotice(`#${eventId} ${done}`);
      onChanged();
    } catch (error) {
      onNotice(failureText(t, error), true);
    } finally {
      setBusy(null);
    }
  };
  const retry = (row: EventRow) => {
    setBusy(row.id);
    void onRetry(row.id).finally(() => {
      setBusy(null);
      onChanged();
    });
  };
  const requestRetry = (row: EventRow) => (row.failure && !row.failure.error.retriable ? setConfirmRetry(row) : retry(row));

  if (rows.length === 0)
    return (
      <p class="muted" data-testid="pinned-none">
        {words('homePinnedNone')}
      </p>
    );
  return (
    <>
      <ul class="pinned" data-testid="pinned">
        {rows.map((row) => {
          const where = row.failure?.stage
            ? `${t('failedAt')} ${stageLabel(config, language, row.failure.stage, row.pipeline)}`
            : t('failedBeforeStages');
          const plain = row.failure ? explainError(language, row.failure.error, true) : null;
          return (
            <li key={row.id} class="pinned-item" data-testid={`pinned-${row.id}`}>
              <div class="pinned-head">
                <button type="button" class="link" onClick={() => onOpenEvent(row.id)} title={words('homeOpen')}>
                  #{row.id}
                </button>
                {/* Who paid: the name, else the e-mail (a Stripe checkout often has only that). */}
                <span class="pinned-customer">{row.summary.customer?.name ?? row.summary.customer?.email ?? '—'}</span>
                <span class="pinned-amount">{formats.money(row.summary.amount, row.summary.currency)}</span>
                <span class="muted small">{formats.dateTime(row.receivedAt)}</span>
              </div>
              <div class="failed-at">✗ {where}</div>
              {plain && (
                <div class="small">
                  {plain.what} <span class="muted">{plain.next}</span>
                </div>
              )}
              {mayAct && (
                <div class="pinned-actions">
                  <button type="button" class="small-button" disabled={busy === row.id} onClick={() => requestRetry(row)}>
                    {t('retry')}
                  </button>
                  <button
                    type="button"
                    class="small-button"
                    disabled={busy === row.id}
                    data-testid="mark-handled"
                    onClick={() => setHandling(row)}
                  >
                    {words('homeMarkHandled')}
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {total > rows.length && (
        <a href={moreHref} onClick={onShowMore} class="small">
          {words('homePinnedMore')} ({total})
        </a>
      )}
      {handling && (
        <ConfirmDialog
          title={`${words('homeMarkHandledTitle')} #${handling.id}`}
          body={words('homeMarkHandledBody')}
          confirmLabel={words('homeMarkHandled')}
          reasonLabel={words('homeMarkHandledReason')}
          reasonMissing={words('homeMarkHandledMissing')}
          onCancel={() => setHandling(null)}
          onConfirm={(reason) => {
            const eventId = handling.id;
            setHandling(null);
            void act(eventId, () => homeApi.markHandled(eventId, reason), words('homeHandledDone'));
          }}
        />
      )}
      {confirmRetry && (
        <ConfirmDialog
          title={t('retryPermanentTitle')}
          body={`${eventSubject(formats, confirmRetry)} — ${t('retryPermanentBody')}`}
          confirmLabel={t('retryAnyway')}
          onCancel={() => setConfirmRetry(null)}
          onConfirm={() => {
            const row = confirmRetry;
            setConfirmRetry(null);
            retry(row);
          }}
        />
      )}
    </>
  );
}
