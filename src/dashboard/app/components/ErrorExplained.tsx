import { useSession } from '../context.js';
import { explainError } from '../errors.js';
import type { ErrorInfo } from '../types.js';

/** An error for people (what happened, what to do next), its technical text one click away. */
export function ErrorExplained({ error, exhausted = false }: { error: ErrorInfo; exhausted?: boolean }) {
  const { t, language } = useSession();
  const plain = explainError(language, error, exhausted);
  return (
    <div class="error-explained" data-testid="error-explained">
      <div class="error-text">{plain.what}</div>
      <div>
        <b>{t('whatToDo')}</b> {plain.next}
      </div>
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
