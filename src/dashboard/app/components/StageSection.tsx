import { useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { engineText } from '../engine-notes.js';
import { explainError } from '../errors.js';
import { jsonText } from '../format.js';
import { stageLabel } from '../labels.js';
import type { Checkpoint, EventLogEntry, EventRow, StageExchange } from '../types.js';
import { plannedSkip, skipText } from './cells.js';
import { ErrorExplained } from './ErrorExplained.js';
import { RerunDialog } from './RerunDialog.js';
import { StageAttempts } from './StageAttempts.js';
import { AttemptsOf, StageChain } from './StageChain.js';

export interface StageSectionProps {
  eventId: number;
  eventStatus: EventRow['status'];
  pipeline: string | null;
  stage: string;
  checkpoint: Checkpoint | null;
  onNotice: (message: string, isError?: boolean) => void;
  /** Every checkpoint of the event (the dependency chain's states). */
  checkpoints: Checkpoint[];
  /** This stage's recorded calls and log lines, every attempt. */
  exchanges: StageExchange[];
  stageLogs: EventLogEntry[];
  /** The event was marked as handled by hand: no advice to retry. */
  settled: boolean;
  /** Shown as its heading only, opened on a click: a stage that worked, in an event that failed. */
  folded: boolean;
}

/**
 * One stage of an event in the details panel: what went wrong first, then its times, attempt
 * history, dependency chain, calls and data, and the re-run button. Rendered as text only.
 */
export function StageSection({
  eventId,
  eventStatus,
  pipeline,
  stage,
  checkpoint,
  onNotice,
  checkpoints,
  exchanges,
  stageLogs,
  settled,
  folded,
}: StageSectionProps) {
  const { t, formats, can, config, language } = useSession();
  const label = stageLabel(config, language, stage, pipeline);
  // Re-running asks first: what will run with it, and why (RerunDialog).
  const [confirming, setConfirming] = useState(false);
  // Every stage folds on a click; one that worked starts folded when the event failed, so the
  // failure is not pushed down by pages of data that are fine (the finance review).
  return (
    <section class="stage" data-stage={stage} data-folded={folded ? 'true' : undefined}>
      <details class="stage-fold" open={!folded}>
        <summary>
          <h3>
            {label}{' '}
            <span
              class={`status cp-${checkpoint?.status ?? 'none'}${checkpoint && plannedSkip(checkpoint, checkpoints) ? ' cp-planned' : ''}`}
            >
              {checkpoint ? t(`cp_${checkpoint.status}` as const) : t('notRun')}
            </span>{' '}
            <AttemptsOf pipeline={pipeline} stage={stage} attempts={checkpoint?.attempts ?? 0} />
          </h3>
        </summary>
        {checkpoint && (
          <dl class="facts">
            {/* What went wrong (or why it did not run) first, the times after. */}
            {checkpoint.error && (
              <>
                <dt>{t('error')}</dt>
                <dd>
                  <ErrorExplained error={checkpoint.error} exhausted={eventStatus === 'dead'} settled={settled} stage={label} />
                </dd>
              </>
            )}
            {checkpoint.skipReason && (
              <>
                <dt>{t('skipReason')}</dt>
                <dd class={plannedSkip(checkpoint, checkpoints) ? 'muted' : 'warn-text'} data-testid="skip-reason">
                  {skipText({ t, config, language }, checkpoint, pipeline)}
                </dd>
              </>
            )}
            <dt>{t('startedAt')}</dt>
            <dd>{formats.dateTime(checkpoint.startedAt)}</dd>
            <dt>{t('completedAt')}</dt>
            <dd>{formats.dateTime(checkpoint.completedAt)}</dd>
            <dt>{t('duration')}</dt>
            <dd>{formats.duration(checkpoint.durationMs)}</dd>
            <dt>{t('attempts')}</dt>
            <dd>{checkpoint.attempts}</dd>
          </dl>
        )}
        {checkpoint && checkpoint.history.length > 0 && (
          <details open={checkpoint.history.some((attempt) => attempt.error)}>
            <summary>{t('history')}</summary>
            <div class="history-scroll">
              <table class="history">
                <thead>
                  <tr>
                    <th>{t('attempt')}</th>
                    <th>{t('status')}</th>
                    <th>{t('startedAt')}</th>
                    <th>{t('duration')}</th>
                    <th>{t('error')}</th>
                  </tr>
                </thead>
                <tbody>
                  {checkpoint.history.map((attempt, index) => (
                    <tr key={index}>
                      <td>{attempt.attempt}</td>
                      <td>{t(`cp_${attempt.status}` as const)}</td>
                      <td>{formats.dateTime(attempt.startedAt)}</td>
                      <td>{formats.duration(attempt.durationMs)}</td>
                      <td
                        class="error-text"
                        title={attempt.error ? `${attempt.error.code ?? ''} ${attempt.error.message}`.trim() : undefined}
                      >
                        {attempt.error ? explainError(language, attempt.error).what : ''}
                        {attempt.note ? <span class="muted"> {engineText(t, attempt.note)}</span> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        )}
        <StageChain pipeline={pipeline} stage={stage} checkpoints={checkpoints} />
        <StageAttempts checkpoint={checkpoint} exchanges={exchanges} logs={stageLogs} />
        {checkpoint && checkpoint.data !== null && (
          <>
            <h4>{t('data')}</h4>
            <pre class="json">{jsonText(checkpoint.data)}</pre>
          </>
        )}
        {can('stages:rerun') && checkpoint && (
          <button type="button" class="small-button" data-testid={`rerun-${stage}`} onClick={() => setConfirming(true)}>
            {t('rerun')} {label}
          </button>
        )}
      </details>
      {confirming && (
        <RerunDialog eventId={eventId} stage={stage} pipeline={pipeline} onClose={() => setConfirming(false)} onNotice={onNotice} />
      )}
    </section>
  );
}
