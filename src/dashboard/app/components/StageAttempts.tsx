import { useSession } from '../context.js';
import { engineText } from '../engine-notes.js';
import { jsonText } from '../format.js';
import type { Checkpoint, EventLogEntry, HttpMessage, StageExchange } from '../types.js';

interface StageAttemptsProps {
  checkpoint: Checkpoint | null;
  /** This stage's exchanges and log lines (every attempt). */
  exchanges: StageExchange[];
  logs: EventLogEntry[];
}

/**
 * What the stage sent and received on each attempt, and the lines it logged, newest attempt
 * first. Failed attempts and the last one are open: "it failed, then it worked" reads at once.
 * Secrets arrive redacted from the server; everything is rendered as text, never as HTML.
 */
export function StageAttempts({ checkpoint, exchanges, logs }: StageAttemptsProps) {
  const { t } = useSession();
  const attempts = attemptNumbers(checkpoint, exchanges, logs);
  if (attempts.length === 0) return null;
  const last = Math.max(...attempts);
  return (
    <section class="attempts" data-testid="stage-attempts">
      <h4>{t('exchanges')}</h4>
      <p class="muted small">{t('secretsHidden')}</p>
      {attempts.map((attempt) => {
        const outcome = checkpoint?.history.find((row) => row.attempt === attempt) ?? null;
        const calls = exchanges.filter((exchange) => exchange.attempt === attempt);
        const lines = logs.filter((line) => line.attempt === attempt);
        return (
          <details key={attempt} class="attempt" data-attempt={attempt} open={attempt === last || outcome?.status === 'error'}>
            <summary>
              {attempt === 0 ? t('conditionCheck') : `${t('attempt')} ${attempt}`}
              {outcome && <span class={`status cp-${outcome.status}`}>{t(`cp_${outcome.status}` as const)}</span>}
            </summary>
            {calls.length === 0 && lines.length === 0 && <p class="muted small">{t('attemptRecordedNothing')}</p>}
            {calls.map((exchange, index) => (
              <Exchange key={index} exchange={exchange} />
            ))}
            {lines.length > 0 && <AttemptLog lines={lines} />}
          </details>
        );
      })}
    </section>
  );
}

/** Attempt numbers that have a history row, a call or a log line; newest first. */
function attemptNumbers(checkpoint: Checkpoint | null, exchanges: StageExchange[], logs: EventLogEntry[]): number[] {
  const numbers = new Set<number>();
  for (const row of checkpoint?.history ?? []) if (row.attempt > 0) numbers.add(row.attempt);
  for (const exchange of exchanges) numbers.add(exchange.attempt);
  for (const line of logs) if (typeof line.attempt === 'number') numbers.add(line.attempt);
  return [...numbers].sort((a, b) => b - a);
}

function Exchange({ exchange }: { exchange: StageExchange }) {
  const { t, formats } = useSession();
  const { request, response } = exchange;
  const ok = response !== null && response.status < 400;
  return (
    <div class="exchange" data-testid="exchange">
      <p class="exchange-line">
        <b>{request.method}</b> <code class="exchange-url">{request.url}</code>{' '}
        <span class={ok ? 'status cp-success' : 'status cp-error'} data-testid="exchange-status">
          {response ? `→ ${response.status}` : `→ ${t('noResponse')}`}
        </span>{' '}
        <span class="muted small">{formats.duration(exchange.durationMs)}</span>
      </p>
      {exchange.error && <p class="error-text small">{exchange.error}</p>}
      <div class="exchange-sides">
        <Message title={t('request')} message={request} />
        {response && <Message title={t('response')} message={response} collapseHeaders />}
      </div>
    </div>
  );
}

/** One side of a call. A response's headers (date, keep-alive…) are folded: its body is what matters. */
function Message({ title, message, collapseHeaders = false }: { title: string; message: HttpMessage; collapseHeaders?: boolean }) {
  const { t } = useSession();
  const headers = Object.entries(message.headers);
  const list = (
    <dl class="headers small">
      {headers.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
  return (
    <div class="exchange-side">
      <h5>{title}</h5>
      {headers.length > 0 && !collapseHeaders && list}
      {headers.length > 0 && collapseHeaders && (
        <details class="technical">
          <summary>
            {t('responseHeaders')} ({headers.length})
          </summary>
          {list}
        </details>
      )}
      {message.body === null ? <p class="muted small">{t('noBody')}</p> : <pre class="json exchange-body">{message.body}</pre>}
      {message.bodyTruncated && (
        <p class="warn-text small" data-testid="body-truncated">
          {t('truncated')}
        </p>
      )}
    </div>
  );
}

function AttemptLog({ lines }: { lines: EventLogEntry[] }) {
  const { t, formats } = useSession();
  return (
    <>
      <h5>{t('stageLog')}</h5>
      <ul class="logs" data-testid="attempt-log">
        {lines.map((line, index) => (
          <li key={index} class={`log-${line.level}`}>
            <span class="muted small">{formats.dateTime(line.at)}</span> {engineText(t, line.message)}
            {line.fields && <pre class="json">{jsonText(line.fields)}</pre>}
          </li>
        ))}
      </ul>
    </>
  );
}
