import { useSession } from '../context.js';
import { bulkText } from '../i18n-bulk.js';
import { stageLabel } from '../labels.js';
import type { BulkPreview } from '../types.js';
import { PlanStages } from './PlanStages.js';
import { ReasonField } from './ReasonField.js';

export interface PreviewSectionProps {
  preview: BulkPreview;
  reason: string;
  reasonMissing: boolean;
  onReason: (text: string) => void;
  onConfirm: () => void;
}

/**
 * What a bulk action will do, before it is done: how many events and stage runs, how many of
 * them failed in a way retrying does not fix, those left out and why, each event's plan, and
 * the reason to give.
 */
export function PreviewSection({ preview, reason, reasonMissing, onReason, onConfirm }: PreviewSectionProps) {
  const { config, language, formats } = useSession();
  const w = bulkText(language);
  const excluded = {
    already_succeeded: w('bulkExcludedSucceeded'),
    in_queue: w('bulkExcludedQueue'),
    stage_not_in_pipeline: w('bulkExcludedPipeline'),
  };
  const permanent = preview.events.filter((item) => item.permanentError).length;
  return (
    <section class="bulk-preview" data-testid="bulk-preview" data-count={preview.count}>
      <p class="bulk-summary" data-testid="bulk-summary">
        {preview.count === 0 ? (
          w('bulkNone')
        ) : (
          <>
            <strong>{preview.count}</strong> {preview.count === 1 ? w('bulkCountOne') : w('bulkCount')} ·{' '}
            <strong>{preview.stagesToRun}</strong> {w('bulkStageRuns')}
          </>
        )}
      </p>
      {permanent > 0 && (
        // The one-event retry asks first about such an error; here the count is said before the reason is asked.
        <p class="bulk-permanent" role="note" data-testid="bulk-permanent" data-count={permanent}>
          ⚠ <strong>{permanent}</strong> {permanent === 1 ? w('bulkPermanentOne') : w('bulkPermanent')}
        </p>
      )}
      {preview.excluded.map((x) =>
        x.reason === 'handled' ? (
          // Someone settled these by hand (refunded, invoiced manually): retrying them would redo it.
          <p key={x.reason} class="muted small" data-testid="bulk-excluded-handled">
            {x.count} {x.count === 1 ? w('bulkExcludedHandledOne') : w('bulkExcludedHandled')}
          </p>
        ) : (
          <p key={x.reason} class="muted small">
            {x.count} {x.count === 1 ? w('bulkCountOne') : w('bulkCount')} {excluded[x.reason]}
          </p>
        ),
      )}
      {preview.count > 0 && (
        <>
          <ol class="bulk-events">
            {preview.events.map((item) => (
              <li key={item.eventId} data-event-id={item.eventId}>
                <div class="bulk-event-head">
                  <strong>#{item.eventId}</strong>
                  <span>{item.customer ?? '—'}</span>
                  <span>{formats.money(item.amount ?? undefined, item.currency ?? undefined)}</span>
                  <span class="muted small">{formats.dateTime(item.receivedAt)}</span>
                  {item.failedStage && (
                    <span class="error-text small">
                      {w('bulkFailedAt')} {stageLabel(config, language, item.failedStage, item.pipeline)}
                      {item.errorCode ? ` (${item.errorCode})` : ''}
                    </span>
                  )}
                  {item.permanentError && (
                    <span class="badge badge-permanent" data-testid="bulk-permanent-item">
                      ⚠ {w('bulkPermanentItem')}
                    </span>
                  )}
                </div>
                <PlanStages plan={item.plan} pipeline={item.pipeline} />
              </li>
            ))}
          </ol>
          <form class="bulk-confirm" onSubmit={(submit) => (submit.preventDefault(), onConfirm())}>
            <ReasonField
              label={w('bulkReason')}
              value={reason}
              missing={reasonMissing}
              missingText={w('bulkReasonMissing')}
              onInput={onReason}
              testId="bulk-reason"
            />
            <div class="dialog-buttons">
              <button type="submit" class="primary" data-testid="bulk-confirm">
                {preview.mode === 'rerun' ? w('bulkConfirmRerun') : w('bulkConfirmRetry')} {preview.count}{' '}
                {preview.count === 1 ? w('bulkCountOne') : w('bulkCount')}
              </button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}
