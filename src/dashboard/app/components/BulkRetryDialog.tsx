import type { ComponentChild } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import { dayStartIn } from '../format.js';
import { bulkText } from '../i18n-bulk.js';
import { pipelineLabel, stageLabel } from '../labels.js';
import type { BulkPreview, BulkRequest, BulkResult, EventFilters, EventStatus } from '../types.js';
import { PreviewSection } from './BulkPreviewSection.js';
import { SourceSelect } from './SourceSelect.js';
import { DayInput } from './DayInput.js';
import './bulk.css';
import { failureText } from '../failure-text.js';

/** Ids sent per request while running, so the page can show progress. */
const BATCH = 20;

interface Form {
  mode: 'retry' | 'rerun';
  rerun: string;
  status: '' | EventStatus;
  stage: string;
  code: string;
  source: string;
  pipeline: string;
  since: string;
  until: string;
}

export type BulkForm = Form;

type Phase =
  | { kind: 'filter' }
  | { kind: 'preview'; preview: BulkPreview }
  | { kind: 'running'; done: number; total: number }
  | { kind: 'result'; result: BulkResult };

function formFrom(filters: EventFilters): Form {
  const status = filters.status === 'dead' || filters.status === 'retrying' ? filters.status : '';
  return {
    mode: 'retry',
    rerun: '',
    status,
    stage: '',
    code: '',
    source: filters.source.trim(),
    pipeline: filters.pipeline,
    since: filters.since,
    until: filters.until,
  };
}

function requestFrom(form: Form, timeZone: string): BulkRequest {
  const since = dayStartIn(form.since, timeZone);
  const until = dayStartIn(form.until, timeZone, 1);
  return {
    rerun: form.mode === 'rerun' ? form.rerun || null : null,
    filter: {
      ...(form.status ? { status: [form.status] } : {}),
      ...(form.stage ? { stage: form.stage } : {}),
      ...(form.code.trim() ? { code: form.code.trim() } : {}),
      ...(form.source.trim() ? { source: form.source.trim() } : {}),
      ...(form.pipeline ? { pipeline: form.pipeline } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    },
  };
}

/**
 * Bulk retry or re-run from the events list's filter: filter → preview (how many events, and
 * for each the stages that will run, be skipped or are done) → reason → progress → result.
 */
interface BulkRetryDialogProps {
  filters: EventFilters;
  /** Choices made for the person (e.g. re-run what a flag skipped); then the preview opens at once. */
  initial?: Partial<Form>;
  onClose: () => void;
  onDone: () => void;
}

export function BulkRetryDialog({ filters, initial, onClose, onDone }: BulkRetryDialogProps) {
  const { t, config, language, can } = useSession();
  const w = bulkText(language);
  const [form, setForm] = useState<Form>(() => ({ ...formFrom(filters), ...initial }));
  const [phase, setPhase] = useState<Phase>({ kind: 'filter' });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [reasonMissing, setReasonMissing] = useState(false);
  const request = requestFrom(form, config.timeZone);
  const pipelines = form.pipeline ? config.pipelines.filter((p) => p.name === form.pipeline) : config.pipelines;
  const stages = [
    ...new Map(pipelines.flatMap((p) => p.stages.map((s) => [s.name, stageLabel(config, language, s.name, p.name)] as const))).entries(),
  ];
  const set = (patch: Partial<Form>) => (setForm({ ...form, ...patch }), setPhase({ kind: 'filter' }));
  const value = (event: Event) => (event.currentTarget as HTMLInputElement).value;

  useEffect(() => {
    const onKey = (keyboard: KeyboardEvent) => keyboard.key === 'Escape' && phase.kind !== 'running' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [phase.kind]);

  useEffect(() => {
    if (initial) void preview();
  }, []);

  const preview = async () => {
    setLoading(true);
    setError(null);
    try {
      setPhase({ kind: 'preview', preview: (await api.bulkPreview(request)).preview });
    } catch (failure) {
      setError(failureText(t, failure));
    } finally {
      setLoading(false);
    }
  };

  const run = async (shown: BulkPreview) => {
    if (reason.trim() === '') return setReasonMissing(true);
    const ids = shown.events.map((e) => e.eventId);
    const result: BulkResult = { mode: shown.mode, queued: [], refused: [] };
    setPhase({ kind: 'running', done: 0, total: ids.length });
    for (let start = 0; start < ids.length; start += BATCH) {
      const batch = ids.slice(start, start + BATCH);
      try {
        const answer = (await api.bulkRun(request, reason.trim(), batch)).result;
        result.queued.push(...answer.queued);
        result.refused.push(...answer.refused);
      } catch (failure) {
        const message = failureText(t, failure);
        result.refused.push(...batch.map((eventId) => ({ eventId, code: 'FAILED', message })));
      }
      setPhase({ kind: 'running', done: Math.min(start + BATCH, ids.length), total: ids.length });
    }
    setPhase({ kind: 'result', result });
    onDone();
  };

  const field = (label: string, control: ComponentChild, wide = false) => (
    <label class={wide ? 'bulk-wide' : undefined}>
      {label}
      {control}
    </label>
  );
  const editing = phase.kind === 'filter' || phase.kind === 'preview';
  return (
    <div class="overlay overlay-center" onClick={(click) => click.target === click.currentTarget && editing && onClose()}>
      <div
        class="dialog bulk-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={w('bulkTitle')}
        data-testid="bulk-dialog"
        data-phase={phase.kind}
      >
        <h2>{form.mode === 'rerun' ? w('bulkTitleRerun') : w('bulkTitle')}</h2>
        {editing && (
          <form class="bulk-filter" onSubmit={(submit) => (submit.preventDefault(), void preview())}>
            <p class="muted small bulk-wide">{w('bulkIntro')}</p>
            {can('stages:rerun') &&
              field(
                w('bulkMode'),
                <select value={form.mode} data-testid="bulk-mode" onChange={(e) => set({ mode: value(e) as Form['mode'], status: '' })}>
                  <option value="retry">{w('bulkModeRetry')}</option>
                  <option value="rerun">{w('bulkModeRerun')}</option>
                </select>,
                true,
              )}
            {form.mode === 'rerun' &&
              field(
                w('bulkRerunStage'),
                <select value={form.rerun} required data-testid="bulk-rerun" onChange={(e) => set({ rerun: value(e) })}>
                  <option value="">—</option>
                  {stages.map(([name, label]) => (
                    <option key={name} value={name}>
                      {label}
                    </option>
                  ))}
                </select>,
              )}
            {field(
              w('bulkStatus'),
              <select value={form.status} data-testid="bulk-status" onChange={(e) => set({ status: value(e) as Form['status'] })}>
                <option value="">{form.mode === 'retry' ? w('bulkStatusDeadRetrying') : w('bulkStatusAny')}</option>
                {(form.mode === 'retry' ? (['dead', 'retrying'] as const) : (['succeeded', 'dead', 'retrying', 'ignored'] as const)).map(
                  (s) => (
                    <option key={s} value={s}>
                      {t(`status_${s}` as const)}
                    </option>
                  ),
                )}
              </select>,
            )}
            {field(
              w('bulkFailedStage'),
              <select value={form.stage} data-testid="bulk-stage" onChange={(e) => set({ stage: value(e) })}>
                <option value="">{w('bulkAnyStage')}</option>
                {stages.map(([name, label]) => (
                  <option key={name} value={name}>
                    {label}
                  </option>
                ))}
              </select>,
            )}
            {field(
              w('bulkCode'),
              <input
                type="text"
                size={12}
                value={form.code}
                placeholder={w('bulkCodeHint')}
                data-testid="bulk-code"
                onChange={(e) => set({ code: value(e) })}
              />,
            )}
            {field(w('bulkSource'), <SourceSelect value={form.source} onChange={(source) => set({ source })} testId="bulk-source" />)}
            {config.pipelines.length > 1 &&
              field(
                w('bulkPipeline'),
                <select value={form.pipeline} onChange={(e) => set({ pipeline: value(e), stage: '', rerun: '' })}>
                  <option value="">{t('allPipelines')}</option>
                  {config.pipelines.map((p) => (
                    <option key={p.name} value={p.name}>
                      {pipelineLabel(config, language, p.name)}
                    </option>
                  ))}
                </select>,
              )}
            {field(w('bulkSince'), <DayInput value={form.since} onChange={(since) => set({ since })} />)}
            {field(w('bulkUntil'), <DayInput value={form.until} onChange={(until) => set({ until })} />)}
            <div class="dialog-buttons bulk-wide">
              <button type="button" onClick={onClose}>
                {t('cancel')}
              </button>
              {/* Once a preview is shown, confirming it is the main action; this one only refreshes it. */}
              <button
                type={phase.kind === 'preview' ? 'button' : 'submit'}
                class={phase.kind === 'preview' ? '' : 'primary'}
                disabled={loading}
                data-testid="bulk-preview-button"
                onClick={phase.kind === 'preview' ? () => void preview() : undefined}
              >
                {loading ? w('bulkLoading') : w('bulkPreviewButton')}
              </button>
            </div>
          </form>
        )}
        {error && (
          <p class="error-text" role="alert" data-testid="bulk-error">
            {error}
          </p>
        )}
        {phase.kind === 'preview' && (
          <PreviewSection
            preview={phase.preview}
            reason={reason}
            reasonMissing={reasonMissing}
            onReason={(text) => (setReason(text), setReasonMissing(false))}
            onConfirm={() => void run(phase.preview)}
          />
        )}
        {phase.kind === 'running' && (
          <div class="bulk-progress" role="status" data-testid="bulk-progress">
            <p>
              {w('bulkProgress')} {phase.done} / {phase.total}
            </p>
            <progress max={phase.total} value={phase.done} />
          </div>
        )}
        {phase.kind === 'result' && (
          <div class="bulk-result" role="status" data-testid="bulk-result">
            <p class="ok-text" data-testid="bulk-queued">
              <strong>{phase.result.queued.length}</strong> {w('bulkResultQueued')}
            </p>
            {phase.result.queued.length > 0 && <p class="small muted">{phase.result.queued.map((q) => `#${q.eventId}`).join(', ')}</p>}
            {phase.result.refused.length > 0 && (
              <>
                <p class="error-text">
                  <strong>{phase.result.refused.length}</strong> {w('bulkResultRefused')}
                </p>
                <ul class="small">
                  {phase.result.refused.map((r) => (
                    <li key={r.eventId}>
                      #{r.eventId}: {r.message}
                    </li>
                  ))}
                </ul>
              </>
            )}
            <div class="dialog-buttons">
              <button type="button" class="primary" onClick={onClose} data-testid="bulk-close">
                {w('bulkClose')}
              </button>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
