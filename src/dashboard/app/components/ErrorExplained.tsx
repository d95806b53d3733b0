import { useSession } from '../context.js';
import { explainError } from '../errors.js';
import type { ErrorInfo } from '../types.js';

/** An error for people (what happened, what to do next), its technical text one click away. */
export function ErrorExplained({
  error,
  exhausted = false,
  settled = false,
  stage,
}: {
  error: ErrorInfo;
  exhausted?: boolean;
  /** Someone handled it by hand: no advice to retry (the panel says who and why above). */
  settled?: boolean;
  /** The label of the stage that failed: it names "the other system". */
  stage?: string | null;
}) {
  const { t, language } = useSession();
  const plain = explainError(language, error, exhausted, stage);
  return (
    <div class="error-explained" data-testid="error-explained">
      <div class="error-text">{plain.what}</div>
      {!settled && (
        <div>
          <b>{t('whatToDo')}</b> {plain.next}
        </div>
      )}
      <details class="technical">
        <summary>{t('technicalDetail')}</summary>
        <code>
          {error.code ? `${error.code}: ` : ''}
          {error.message} ({error.retriable ? t('retriable') : t('permanent')})
        </code>
      </details>
    </div>
  );
}
