import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import { bulkText } from '../i18n-bulk.js';
import { stageLabel } from '../labels.js';
import type { RunPlan } from '../types.js';
import { PlanStages } from './PlanStages.js';
import './bulk.css';
import { ReasonField } from './ReasonField.js';
import { failureText } from '../failure-text.js';

interface RerunDialogProps {
  eventId: number;
  stage: string;
  pipeline: string | null;
  onClose: () => void;
  onNotice: (message: string, isError?: boolean) => void;
}

/**
 * Re-running one stage asks first: what will run (the stage, and the stages skipped because of
 * it, which run with it), what stays skipped and why, and a reason kept in the event's history.
 */
export function RerunDialog({ eventId, stage, pipeline, onClose, onNotice }: RerunDialogProps) {
  const { t, config, language } = useSession();
  const w = bulkText(language);
  const [plan, setPlan] = useState<RunPlan | null>(null);
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const label = stageLabel(config, language, stage, pipeline);

  useEffect(() => {
    let current = true;
    api.rerunPreview(eventId, stage).then(
      (answer) => current && setPlan(answer.plan),
      (error: unknown) => (onNotice(failureText(t, error), true), onClose()),
    );
    const onKey = (keyboard: KeyboardEvent) => keyboard.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => ((current = false), window.removeEventListener('keydown', onKey));
  }, [eventId, stage]);

  const confirm = async (submit: Event) => {
    submit.preventDefault();
    if (reason.trim() === '') return setMissing(true);
    setBusy(true);
    try {
      await api.rerunStage(eventId, stage, reason.trim());
      onNotice(t('rerunDone'));
      onClose();
    } catch (error) {
      onNotice(failureText(t, error), true);
      setBusy(false);
    }
  };
  const follows = plan?.stages.some((s) => s.cause === 'follows') ?? false;
  return (
    <div class="overlay overlay-center" onClick={(click) => click.target === click.currentTarget && onClose()}>
      <div class="dialog bulk-dialog" role="dialog" aria-modal="true" aria-label={w('rerunTitle')} data-testid="rerun-dialog">
        <form class="bulk-confirm" onSubmit={(submit) => void confirm(submit)}>
          <h2>
            {w('rerunTitle')}: {label}
          </h2>
          <p class="small">{w('rerunBody')}</p>
          {plan === null ? <p class="muted">{w('bulkLoading')}</p> : <PlanStages plan={plan} pipeline={pipeline} />}
          {follows && (
            <p class="small" data-testid="rerun-follows">
              {w('rerunAlso')}
            </p>
          )}
          <ReasonField
            label={w('rerunReason')}
            value={reason}
            missing={missing}
            missingText={w('bulkReasonMissing')}
            onInput={(text) => (setReason(text), setMissing(false))}
            testId="rerun-reason"
          />
          <div class="dialog-buttons">
            <button type="button" onClick={onClose}>
              {t('cancel')}
            </button>
            <button type="submit" class="primary" disabled={busy || plan === null} data-testid="rerun-confirm">
              {t('rerun')}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
