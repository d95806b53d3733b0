import type { Ref } from 'preact';

interface ReasonFieldProps {
  label: string;
  value: string;
  /** The change was asked for without a reason: the field is marked and `missingText` said. */
  missing: boolean;
  missingText: string;
  onInput: (text: string) => void;
  testId: string;
  missingTestId?: string;
  rows?: number;
  inputRef?: Ref<HTMLTextAreaElement>;
}

/**
 * The reason a change asks for, kept with it in the audit and the history (the API takes at
 * most 500 characters), and what to do when it was left empty: one field for every dialog that
 * changes something (confirm, bulk, re-run).
 */
export function ReasonField({ label, value, missing, missingText, onInput, testId, missingTestId, rows = 2, inputRef }: ReasonFieldProps) {
  return (
    <>
      <label class="reason">
        {label}
        <textarea
          ref={inputRef}
          rows={rows}
          maxLength={500}
          value={value}
          aria-invalid={missing}
          data-testid={testId}
          onInput={(input) => onInput((input.currentTarget as HTMLTextAreaElement).value)}
        />
      </label>
      {missing && (
        <p class="error-text small" role="alert" data-testid={missingTestId}>
          {missingText}
        </p>
      )}
    </>
  );
}
