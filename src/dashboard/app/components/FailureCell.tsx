import { useSession } from '../context.js';
import { explainError } from '../errors.js';
import { ignoreText, technicalIgnoreDetail } from '../ignore-reasons.js';
import { stageLabel } from '../labels.js';
import { nextAttemptText } from '../next-attempt.js';
import type { EventRow } from '../types.js';

/**
 * "Failed at <stage>: <what happened>" for any failed stage (with a column or not) or a
 * failure before the stages; the reason of an ignored event; else nothing.
 */
export function FailureCell({ event, onOpen }: { event: EventRow; onOpen: (eventId: number) => void }) {
  const { t, config, language, formats } = useSession();
  if (event.failure) {
    const where = event.failure.stage
      ? `${t('failedAt')} ${stageLabel(config, language, event.failure.stage, event.pipeline)}`
      : t('failedBeforeStages');
    const next = nextAttemptText(t, formats, config, event);
    const plain = explainError(language, event.failure.error, event.status === 'dead');
    return (
      <td class="failure-cell" data-testid="failure" data-stage={event.failure.stage ?? ''}>
        <button
          type="button"
          class="failure-link"
          onClick={() => onOpen(event.id)}
          title={event.handled ? `${t('handledBy')} ${event.handled.by}: ${event.handled.reason}` : plain.next}
        >
          <span class="failed-at">✗ {where}</span>
          <span class="small failure-what">{plain.what}</span>
          {next && (
            <span class="small next-attempt" data-testid="next-attempt">
              ⟳ {next}
            </span>
          )}
        </button>
      </td>
    );
  }
  if (event.status === 'ignored' && event.ignoreReason) {
    return (
      <td class="failure-cell" data-testid="ignore-reason">
        <span class="small ignore-reason" title={technicalIgnoreDetail(event.ignoreReason) ?? undefined}>
          {ignoreText(t, language, event.ignoreReason)}
        </span>
      </td>
    );
  }
  return <td class="failure-cell" />;
}
