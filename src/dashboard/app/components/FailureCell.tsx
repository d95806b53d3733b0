import { useSession } from '../context.js';
import { explainError } from '../errors.js';
import type { Translate } from '../i18n.js';
import { stageLabel } from '../labels.js';
import type { EventRow } from '../types.js';

/** Why an ignored event was ignored, in the page's language where the kind is known. */
export function ignoreText(t: Translate, reason: NonNullable<EventRow['ignoreReason']>): string {
  if (reason.kind === 'no_pipeline') return t('ignoredNoPipeline');
  return `${t('ignoredNotApplicable')} ${reason.detail}`;
}

/**
 * "Failed at <stage>: <what happened>" for any failed stage (with a column or not) or a
 * failure before the stages; the reason of an ignored event; else nothing.
 */
export function FailureCell({ event, onOpen }: { event: EventRow; onOpen: (eventId: number) => void }) {
  const { t, config, language } = useSession();
  if (event.failure) {
    const where = event.failure.stage
      ? `${t('failedAt')} ${stageLabel(config, language, event.failure.stage, event.pipeline)}`
      : t('failedBeforeStages');
    const plain = explainError(language, event.failure.error, event.status === 'dead');
    return (
      <td class="failure-cell" data-testid="failure" data-stage={event.failure.stage ?? ''}>
        <button type="button" class="failure-link" onClick={() => onOpen(event.id)} title={plain.next}>
          <span class="failed-at">✗ {where}</span>
          <span class="small failure-what">{plain.what}</span>
        </button>
      </td>
    );
  }
  if (event.status === 'ignored' && event.ignoreReason) {
    return (
      <td class="failure-cell" data-testid="ignore-reason">
        <span class="small ignore-reason">{ignoreText(t, event.ignoreReason)}</span>
      </td>
    );
  }
  return <td class="failure-cell" />;
}
