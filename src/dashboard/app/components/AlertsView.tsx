import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import {
  alertKindLabel,
  alertTechnicalDetail,
  alertText,
  alertTextParts,
  sentence,
  type AlertTextPart,
  type AlertWords,
} from '../alerts.js';
import { referenceFact } from '../reference-labels.js';
import { explainError } from '../errors.js';
import { stageLabel } from '../labels.js';
import type { AlertView } from '../types.js';
import { alertIdFromHash } from '../url.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { failureText } from '../failure-text.js';

type Notice = (message: string, isError?: boolean) => void;

/** Only stored, open, unacknowledged alerts can be acknowledged (computed ones have no row). */
function acknowledgeable(alert: AlertView): alert is AlertView & { id: number } {
  return alert.computed !== true && typeof alert.id === 'number' && alert.id > 0 && !alert.resolvedAt && !alert.acknowledgedAt;
}

function mutable(alert: AlertView): alert is AlertView & { id: number } {
  return alert.computed !== true && typeof alert.id === 'number' && alert.id > 0 && !alert.resolvedAt;
}

function mutedNow(alert: AlertView, now: number): boolean {
  return !alert.resolvedAt && !!alert.mutedUntil && Date.parse(alert.mutedUntil) > now;
}

const MUTE_MINUTES = [60, 240, 1_440, 10_080] as const;
const MUTE_LABELS = ['duration1h', 'duration4h', 'duration1d', 'duration1w'] as const;
/** Stuck, retried, error-rate and backlog alerts change without an event changing: look again now and then. */
const REFRESH_MS = 30_000;
/** Pages (of 50) read further to find the alert an address names, before saying it is not listed. */
const TARGET_PAGES = 10;

interface LoadedAlerts {
  alerts: AlertView[];
  /** Pages read until the target was listed; 0 when it was not (or there is none). */
  targetPages: number;
}

/**
 * The alerts to list: the first page, and when the address names an alert (`#/alerts/<id>`, an
 * audit entry's link) the next pages until it is among them, `maxPages` at most.
 */
async function loadAlerts(includeResolved: boolean, target: number | null, maxPages: number): Promise<LoadedAlerts> {
  const first = await api.alerts(includeResolved);
  const alerts = [...(first.computed ?? []), ...first.items];
  const listed = () => target !== null && alerts.some((alert) => alert.id === target);
  let cursor = first.nextCursor;
  let pages = 1;
  for (; target !== null && cursor && pages < maxPages && !listed(); pages += 1) {
    const next = await api.alerts(includeResolved, cursor);
    alerts.push(...next.items);
    cursor = next.nextCursor;
  }
  return { alerts, targetPages: listed() ? pages : 0 };
}

/** The alert the address points at, kept in step with the hash. */
function useAlertTarget(): number | null {
  const [target, setTarget] = useState(() => alertIdFromHash(location.hash));
  useEffect(() => {
    const onHash = () => setTarget(alertIdFromHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return target;
}

/**
 * An alert's text, its commands as code. The punctuation right after a command stays on its line
 * (a lone full stop would otherwise wrap below a command that fills a phone's line).
 */
function AlertTextView({ parts }: { parts: AlertTextPart[] }) {
  const shown = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index] as AlertTextPart;
    if (!part.command) {
      shown.push(part.text);
      continue;
    }
    const after = parts[index + 1];
    const glued = after && !after.command ? (/^[.,;:)]+/.exec(after.text)?.[0] ?? '') : '';
    shown.push(
      <span class="alert-command-unit" key={index}>
        <code class="alert-command" data-testid="alert-command">
          {part.text}
        </code>
        {glued}
      </span>,
    );
    if (after && glued !== '') {
      shown.push(after.text.slice(glued.length));
      index += 1;
    }
  }
  return <>{shown}</>;
}

/**
 * Open alerts (resolved ones behind a toggle). Acknowledging one asks for a reason, which the
 * server stores and audits; the alert stays listed, muted, with who and why, until it resolves.
 */
export function AlertsView({
  onNotice,
  onOpenEvent,
  liveTick = 0,
}: {
  onNotice: Notice;
  onOpenEvent: (eventId: number) => void;
  liveTick?: number;
}) {
  const { t, formats, can, config, language } = useSession();
  // Stage labels and plain error messages, as on the events' rows; the server's words stay one click away.
  const words: AlertWords = {
    stageLabel: (stage) => stageLabel(config, language, stage, null),
    // Without a code the connector's own sentence says more than a generic one.
    plainError: (code, message) => (code ? explainError(language, { message, code, retriable: true }).what : message),
    referenceLabel: (key) => referenceFact(language, key, '').label,
  };
  const [alerts, setAlerts] = useState<AlertView[] | null>(null);
  const [showResolved, setShowResolved] = useState(false);
  const [asking, setAsking] = useState<(AlertView & { id: number }) | null>(null);
  const [muting, setMuting] = useState<(AlertView & { id: number }) | null>(null);
  const [muteMinutes, setMuteMinutes] = useState<number>(MUTE_MINUTES[0]);
  const [version, setVersion] = useState(0);
  const target = useAlertTarget();
  const targetListed = target !== null && alerts?.some((alert) => alert.id === target) === true;
  // The target is searched for once (per target and toggle); a refresh then reads the pages the
  // search needed to keep it listed, or only the first when it was not found — not ten every time.
  const searched = useRef<{ key: string; pages: number } | null>(null);
  useEffect(() => {
    let current = true;
    const key = `${target ?? ''}:${String(showResolved)}`;
    const known = searched.current?.key === key ? searched.current.pages : null;
    const maxPages = known === null ? TARGET_PAGES : Math.max(known, 1);
    loadAlerts(showResolved, target, maxPages)
      .then(({ alerts: loaded, targetPages }) => {
        if (!current) return;
        if (target !== null && targetPages === 0 && known !== null && known > 0) {
          // Listed until now, not within those pages: newer alerts pushed it further (or it
          // resolved). Search again, once, before saying anything.
          searched.current = null;
          setVersion((v) => v + 1);
          return;
        }
        searched.current = { key, pages: targetPages };
        // An alert an audit entry names may have resolved since: look among the resolved ones too.
        if (target !== null && !showResolved && targetPages === 0 && known === null) setShowResolved(true);
        setAlerts(loaded);
      })
      .catch((error: unknown) => onNotice(failureText(t, error), true));
    return () => {
      current = false;
    };
  }, [showResolved, version, liveTick, target]);
  const targetMissing = alerts !== null && target !== null && showResolved && !targetListed;
  useEffect(() => {
    if (targetListed) document.getElementById(`alert-item-${target}`)?.scrollIntoView({ block: 'center' });
    // Followed from further down the page (another alert's link), the answer would be out of sight.
    if (targetMissing) document.getElementById('alert-target-missing')?.scrollIntoView({ block: 'center' });
  }, [targetListed, targetMissing, target]);
  useEffect(() => {
    const timer = setInterval(() => setVersion((v) => v + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const mute = async (alert: AlertView & { id: number }, reason: string, minutes: number) => {
    try {
      await api.muteAlert(alert.id, reason, minutes);
      onNotice(t('alertMuted'));
    } catch (error) {
      onNotice(failureText(t, error), true);
    }
    setVersion((v) => v + 1);
  };
  const acknowledge = async (alert: AlertView & { id: number }, reason: string) => {
    try {
      await api.acknowledgeAlert(alert.id, reason);
      onNotice(t('alertAcknowledged'));
    } catch (error) {
      onNotice(failureText(t, error), true);
    }
    // Refused or not, the list shows the alert as it is now (resolved meanwhile, acknowledged by someone else).
    setVersion((v) => v + 1);
  };
  const mayAck = can('events:retry');
  return (
    <>
      <label class="alerts-toggle small">
        <input
          type="checkbox"
          checked={showResolved}
          data-testid="alerts-show-resolved"
          onChange={(change) => setShowResolved((change.currentTarget as HTMLInputElement).checked)}
        />{' '}
        {t('alertShowResolved')}
      </label>
      {!alerts && <p class="muted">{t('loading')}</p>}
      {targetMissing && (
        <p class="muted" id="alert-target-missing" data-testid="alert-target-missing">
          {t('alertTargetMissing').replace('{id}', String(target))}
        </p>
      )}
      {alerts?.length === 0 && <p class="muted">{t('noAlerts')}</p>}
      {alerts && alerts.length > 0 && (
        <ul class="alerts" data-testid="alerts">
          {alerts.map((alert, index) => (
            <li
              key={`${alert.kind}-${alert.id ?? ''}-${alert.eventId ?? ''}-${index}`}
              id={alert.id !== undefined && alert.id > 0 ? `alert-item-${alert.id}` : undefined}
              class={`alert alert-${alert.kind}${alert.acknowledgedAt || mutedNow(alert, Date.now()) ? ' alert-acked' : ''}${alert.resolvedAt ? ' alert-resolved' : ''}${alert.id === target ? ' alert-target' : ''}`}
              data-testid={alert.id !== undefined && alert.id > 0 ? `alert-${alert.id}` : undefined}
            >
              <span class="badge">{alertKindLabel(t, alert.kind, alert.details)}</span>{' '}
              {(alert.occurrences ?? 1) > 1 && (
                <span class="badge badge-count" data-testid="alert-count">
                  {alert.occurrences} {t('alertTimes')}
                </span>
              )}{' '}
              <span class="muted small" data-testid="alert-seen">
                {(alert.occurrences ?? 1) > 1 && alert.lastSeenAt
                  ? `${t('alertFirstSeen')} ${formats.dateTime(alert.at)} · ${t('alertLastSeen')} ${formats.dateTime(alert.lastSeenAt)}`
                  : formats.dateTime(alert.at)}
              </span>
              {alert.resolvedAt && (
                <span class="badge badge-ok">
                  {t('alertResolved')} {formats.dateTime(alert.resolvedAt)}
                </span>
              )}
              <div>
                <AlertTextView parts={alertTextParts(t, formats, alert, words)} />
              </div>
              {alertTechnicalDetail(alert) !== null && (
                <details class="technical small">
                  <summary>{t('technicalDetail')}</summary>
                  <code>{alertTechnicalDetail(alert)}</code>
                </details>
              )}
              {alert.stage && alert.kind !== 'dead' && alert.kind !== 'stage_error_rate' && (
                <div class="small">{words.stageLabel(alert.stage)}</div>
              )}
              {alert.acknowledgedAt && (
                <div class="small" data-testid="alert-ack">
                  {t('alertAckedBy')} {alert.acknowledgedBy ?? '?'} · {formats.dateTime(alert.acknowledgedAt)}: “{alert.ackReason ?? ''}”
                </div>
              )}
              {alert.mutedUntil && mutedNow(alert, Date.now()) && (
                <div class="small" data-testid="alert-muted">
                  {t('alertMutedBy')} {alert.mutedBy ?? '?'} {t('alertMutedUntil')} {formats.dateTime(alert.mutedUntil)}: “
                  {alert.muteReason ?? ''}”
                </div>
              )}
              <div class="alert-actions">
                {alert.eventId !== null && (
                  <button type="button" class="link" onClick={() => onOpenEvent(alert.eventId as number)}>
                    #{alert.eventId}
                  </button>
                )}
                {mayAck && acknowledgeable(alert) && (
                  <button type="button" class="small" data-testid="alert-ack-button" onClick={() => setAsking(alert)}>
                    {t('alertAcknowledge')}
                  </button>
                )}
                {mayAck && mutable(alert) && !mutedNow(alert, Date.now()) && (
                  <button type="button" class="small" data-testid="alert-mute-button" onClick={() => setMuting(alert)}>
                    {t('alertMute')}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {asking && (
        <ConfirmDialog
          title={`${t('alertAcknowledge')}: ${alertKindLabel(t, asking.kind, asking.details)}`}
          body={`${sentence(alertText(t, formats, asking, words))} ${t('alertAckBody')}`}
          confirmLabel={t('alertAcknowledge')}
          reasonLabel={t('alertAckReason')}
          reasonMissing={t('alertAckReasonMissing')}
          onCancel={() => setAsking(null)}
          onConfirm={(reason) => {
            const alert = asking;
            setAsking(null);
            void acknowledge(alert, reason);
          }}
        />
      )}
      {muting && (
        <ConfirmDialog
          title={`${t('alertMute')}: ${alertKindLabel(t, muting.kind, muting.details)}`}
          body={`${sentence(alertText(t, formats, muting, words))} ${t('alertMuteBody')}`}
          confirmLabel={t('alertMute')}
          reasonLabel={t('alertAckReason')}
          reasonMissing={t('alertMuteReasonMissing')}
          onCancel={() => setMuting(null)}
          onConfirm={(reason) => {
            const alert = muting;
            setMuting(null);
            void mute(alert, reason, muteMinutes);
          }}
        >
          <label class="reason">
            {t('alertMuteFor')}
            <select
              data-testid="mute-minutes"
              value={String(muteMinutes)}
              onChange={(change) => setMuteMinutes(Number((change.currentTarget as HTMLSelectElement).value))}
            >
              {MUTE_MINUTES.map((minutes, index) => (
                <option key={minutes} value={String(minutes)}>
                  {t(MUTE_LABELS[index] ?? 'duration1h')}
                </option>
              ))}
            </select>
          </label>
        </ConfirmDialog>
      )}
    </>
  );
}
