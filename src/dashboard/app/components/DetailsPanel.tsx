import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import { referenceFact } from '../reference-labels.js';
import { jsonText } from '../format.js';
import { columnLabel, stageLabel } from '../labels.js';
import type { EventDetails, EventRow } from '../types.js';
import { ErrorExplained } from './ErrorExplained.js';
import { logLineText } from '../engine-notes.js';
import { operatorNote } from '../operator-notes.js';
import { isRetriable } from './EventsTable.js';
import { ignoreText, technicalIgnoreDetail } from '../ignore-reasons.js';
import { ReconciledBadge } from './ReconciledBadge.js';
import { StageSection } from './StageSection.js';
import { PanelReconciliation } from './PanelReconciliation.js';
import { nextAttemptText } from '../next-attempt.js';
import { failureText } from '../failure-text.js';

export interface Selection {
  eventId: number;
  /** A column's stages, or null for the whole event (summary, raw payload, logs). */
  columnKey: string | null;
}

interface DetailsPanelProps {
  selection: Selection;
  /** Bumped by live updates of this event, so the panel refetches. */
  version: number;
  onClose: () => void;
  onRetry: (event: EventRow) => Promise<void>;
  onNotice: (message: string, isError?: boolean) => void;
}

/**
 * The details of one column's stages (or of the whole event). Everything from the payload is
 * rendered as text nodes: JSON goes through `jsonText` into a <pre>, never as HTML.
 */
export function DetailsPanel({ selection, version, onClose, onRetry, onNotice }: DetailsPanelProps) {
  const { t, config, formats, language } = useSession();
  const closeButton = useRef<HTMLButtonElement>(null);
  const [details, setDetails] = useState<EventDetails | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    api
      .event(selection.eventId)
      .then((loaded) => current && (setDetails(loaded), setFailure(null)))
      .catch((error: unknown) => current && setFailure(failureText(t, error)));
    return () => {
      current = false;
    };
  }, [selection.eventId, version]);

  // Keyboard users land in the panel; Escape or the button closes it.
  useEffect(() => closeButton.current?.focus(), [selection.eventId, selection.columnKey]);

  useEffect(() => {
    const onKey = (keyboard: KeyboardEvent) => keyboard.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const column = config.columns.find((candidate) => candidate.key === selection.columnKey) ?? null;
  const heading = column ? `${columnLabel(language, column)} — #${selection.eventId}` : `${t('details')} — #${selection.eventId}`;
  const event = details?.event;
  const stageNames = column
    ? unique([...column.stages, ...(event?.columns[column.key]?.stages ?? [])])
    : (event?.checkpoints.map((checkpoint) => checkpoint.stage) ?? []);

  return (
    <div class="overlay" onClick={(click) => click.target === click.currentTarget && onClose()}>
      <div class="panel" role="dialog" aria-modal="true" aria-label={heading} data-testid="details-panel">
        <header class="panel-head">
          <h2>{heading}</h2>
          <button type="button" class="icon-button" ref={closeButton} onClick={onClose} aria-label={t('close')}>
            ✕
          </button>
        </header>
        {failure && <p class="error-text">{failure}</p>}
        {!details && !failure && <p class="muted">{t('loading')}</p>}
        {details && !column && <EventSection details={details} onRetry={onRetry} />}
        {event &&
          stageNames.map((stage) => (
            <StageSection
              key={stage}
              eventId={event.id}
              pipeline={event.pipeline}
              eventStatus={event.status}
              stage={stage}
              checkpoint={event.checkpoints.find((checkpoint) => checkpoint.stage === stage) ?? null}
              onNotice={onNotice}
              checkpoints={event.checkpoints}
              exchanges={(details?.exchanges ?? []).filter((exchange) => exchange.stage === stage)}
              stageLogs={(details?.logs ?? []).filter((line) => line.stage === stage)}
              settled={!!event.handled}
              folded={
                !!event.failure && event.checkpoints.some((checkpoint) => checkpoint.stage === stage && checkpoint.status === 'success')
              }
            />
          ))}
        {details && !column && (
          <section>
            {details.logs.length > 0 && <h3>{t('logs')}</h3>}
            <ul class="logs">
              {details.logs.map((entry, index) => {
                const labelOf = (stage: string) => stageLabel(config, language, stage, event?.pipeline ?? null);
                const note = operatorNote(entry, language, labelOf);
                return (
                  <li key={index} class={`log-${entry.level}`} data-testid={note ? 'operator-note' : undefined}>
                    <span class="muted small">{formats.dateTime(entry.at)}</span> {entry.stage && <b>{labelOf(entry.stage)}</b>}{' '}
                    {note ?? logLineText(t, entry, labelOf)}
                    {entry.fields && !note && <pre class="json">{jsonText(entry.fields)}</pre>}
                  </li>
                );
              })}
            </ul>
            <h3>{t('raw')}</h3>
            <pre class="json" data-testid="raw-payload">
              {details.raw}
            </pre>
          </section>
        )}
      </div>
    </div>
  );
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

function EventSection({ details, onRetry }: { details: EventDetails; onRetry: (event: EventRow) => Promise<void> }) {
  const { t, formats, can, config, language } = useSession();
  const event = details.event;
  const failure = event.failure;
  return (
    <section>
      {event.handled && (
        <p class="handled-note" data-testid="panel-handled">
          <b>
            {t('handledBy')} {event.handled.by}
          </b>{' '}
          — {event.handled.reason} <span class="muted small">({formats.dateTime(event.handled.at)})</span>
          <br />
          <span class="small">{t('handledNoRetry')}</span>
        </p>
      )}
      <dl class="facts">
        <dt>{t('status')}</dt>
        <dd>
          <span class={`status status-${event.status}`}>{t(`status_${event.status}` as const)}</span> <ReconciledBadge event={event} />
          {event.handled && <span class="badge badge-handled">✓ {t('handledBadge')}</span>}
        </dd>
        <PanelReconciliation event={event} />
        <dt>{t('attempts')}</dt>
        <dd>
          {event.attempts}
          {nextAttemptText(t, formats, config, event) && (
            <div class="next-attempt" data-testid="panel-next-attempt">
              ⟳ {nextAttemptText(t, formats, config, event)}
            </div>
          )}
        </dd>
        <dt>{t('time')}</dt>
        <dd>{formats.dateTime(event.receivedAt)}</dd>
        <dt>ID</dt>
        <dd>
          {event.source} · {event.providerEventId} · {event.type}
        </dd>
        {failure && (
          <>
            <dt>{t('failedAt')}</dt>
            <dd class="error-text" data-testid="panel-failed-at">
              <b>{failure.stage ? stageLabel(config, language, failure.stage, event.pipeline) : t('failedBeforeStages')}</b>
            </dd>
            <dt>{t('error')}</dt>
            <dd>
              <ErrorExplained
                error={failure.error}
                exhausted={event.status === 'dead'}
                settled={!!event.handled}
                stage={failure.stage ? stageLabel(config, language, failure.stage, event.pipeline) : null}
              />
            </dd>
          </>
        )}
        {event.status === 'ignored' && event.ignoreReason && (
          <>
            <dt>{t('status_ignored')}</dt>
            <dd>
              {ignoreText(t, language, event.ignoreReason)}
              {technicalIgnoreDetail(event.ignoreReason) && (
                <details class="technical">
                  <summary>{t('technicalDetail')}</summary>
                  <code>{technicalIgnoreDetail(event.ignoreReason)}</code>
                </details>
              )}
            </dd>
          </>
        )}
      </dl>
      <h3>{t('summary')}</h3>
      <SummaryFacts summary={event.summary} />
      <details class="technical">
        <summary>{t('technicalDetail')}</summary>
        <pre class="json" data-testid="summary-json">
          {jsonText(event.summary)}
        </pre>
      </details>
      {can('events:retry') && isRetriable(event) && (
        <button type="button" onClick={() => void onRetry(event)} data-testid="panel-retry">
          {t('retry')}
        </button>
      )}
    </section>
  );
}

/** The summary as labelled facts in the page's language (its JSON stays under "technical"). */
function SummaryFacts({ summary }: { summary: EventRow['summary'] }) {
  const { t, formats, language } = useSession();
  const customer = summary.customer ?? {};
  const product = summary.product ?? {};
  const facts: Array<[string, string | undefined]> = [
    [t('customer'), customer.name],
    [t('documentPrefix'), customer.documentId],
    [t('email'), customer.email],
    [t('phone'), customer.phone],
    [t('product'), [product.name, product.id].filter(Boolean).join(' · ') || undefined],
    [t('amount'), summary.amount === undefined ? undefined : formats.money(summary.amount, summary.currency)],
  ];
  // References keep their key beside them for whoever greps logs or the provider's portal.
  const references = Object.entries(summary.references ?? {}).map(([key, value]) => ({ key, ...referenceFact(language, key, value) }));
  return (
    <dl class="facts" data-testid="summary">
      {facts
        .filter(([, value]) => value !== undefined && value !== '')
        .map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
      {references.map(({ key, label, value }) => (
        <Fragment key={`reference-${key}`}>
          <dt title={key} data-reference={key}>
            {label}
          </dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
