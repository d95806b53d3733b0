import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { ReasonField } from './ReasonField.js';

interface ConfirmDialogProps {
  title: string;
  body: string;
  confirmLabel: string;
  /** When given, a reason must be written before confirming (it is stored with the change). */
  reasonLabel?: string;
  reasonMissing?: string;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
  /** More fields, shown above the reason (e.g. how long to mute). */
  children?: ComponentChildren;
}

/** An in-page confirmation (no window.confirm: it cannot be styled, translated or tested). */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  reasonLabel,
  reasonMissing,
  onConfirm,
  onCancel,
  children,
}: ConfirmDialogProps) {
  const { t } = useSession();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const first = useRef<HTMLTextAreaElement & HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    const onKey = (keyboard: KeyboardEvent) => keyboard.key === 'Escape' && onCancel();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  const submit = (event: Event) => {
    event.preventDefault();
    if (reasonLabel && reason.trim() === '') {
      setMissing(true);
      return;
    }
    onConfirm(reason.trim());
  };
  return (
    <div class="overlay overlay-center" onClick={(click) => click.target === click.currentTarget && onCancel()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label={title} data-testid="confirm-dialog">
        <form onSubmit={submit}>
          <h2>{title}</h2>
          <p>{body}</p>
          {children}
          {reasonLabel && (
            <ReasonField
              label={reasonLabel}
              value={reason}
              missing={missing && reasonMissing !== undefined}
              missingText={reasonMissing ?? ''}
              onInput={(text) => (setReason(text), setMissing(false))}
              testId="confirm-reason"
              missingTestId="reason-missing"
              rows={3}
              inputRef={first}
            />
          )}
          <div class="dialog-buttons">
            <button type="button" onClick={onCancel} ref={reasonLabel ? undefined : first}>
              {t('cancel')}
            </button>
            <button type="submit" class="primary" data-testid="confirm-button">
              {confirmLabel}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
