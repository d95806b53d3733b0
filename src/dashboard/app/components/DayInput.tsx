import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { dayText, parseDayText } from '../day-text.js';

interface DayInputProps {
  /** The day applied, YYYY-MM-DD, or '' for none. */
  value: string;
  /** Called with a YYYY-MM-DD day as soon as one is typed in full, or '' when the field is emptied. */
  onChange: (day: string) => void;
  testId?: string;
}

/**
 * A day typed dd/mm/aaaa whatever the browser's language (day-text.ts says why not a date
 * input). A complete, real day applies at once; anything else is not applied, and leaving the
 * field says what is wrong and how to write it.
 */
export function DayInput({ value, onChange, testId }: DayInputProps) {
  const { t } = useSession();
  const [text, setText] = useState(dayText(value));
  const [problem, setProblem] = useState<string | null>(null);
  // The filters can change from outside the field (clear, the address): show theirs.
  useEffect(() => {
    const typed = parseDayText(text);
    const shown = typed.kind === 'day' ? typed.day : typed.kind === 'empty' ? '' : null;
    if (shown !== value) {
      setText(dayText(value));
      setProblem(null);
    }
  }, [value]);
  const typing = (next: string) => {
    setText(next);
    const typed = parseDayText(next);
    if (typed.kind === 'invalid') return;
    setProblem(null);
    const day = typed.kind === 'day' ? typed.day : '';
    if (day !== value) onChange(day);
  };
  const leaving = () => {
    const typed = parseDayText(text);
    if (typed.kind === 'invalid') setProblem(`“${text.trim()}”: ${t(typed.reason === 'format' ? 'dayNotDayFirst' : 'dayNoSuchDay')}`);
    else if (typed.kind === 'day') setText(dayText(typed.day));
  };
  const errorId = testId ? `${testId}-problem` : undefined;
  return (
    <span class="day-input">
      <input
        type="text"
        inputMode="numeric"
        autoComplete="off"
        size={10}
        maxLength={10}
        placeholder={t('dayFormat')}
        value={text}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? errorId : undefined}
        data-testid={testId}
        onInput={(input) => typing((input.currentTarget as HTMLInputElement).value)}
        onBlur={leaving}
      />
      {problem && (
        <span class="field-problem" id={errorId} role="alert" data-testid={testId ? `${testId}-problem` : undefined}>
          {problem}
        </span>
      )}
    </span>
  );
}
