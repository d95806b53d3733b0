import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { useSession } from '../context.js';
import type { FlagChange, FlagView } from '../types.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { BulkRetryDialog } from './BulkRetryDialog.js';
import { bulkText } from '../i18n-bulk.js';
import { flagDescription, flagLabel, stageLabel } from '../labels.js';
import { NO_FILTERS } from '../types.js';
import { flagKeyFromHash } from '../url.js';
import { failureText } from '../failure-text.js';

/**
 * Flag toggles. A change asks for confirmation and a reason, stored in the flag's history
 * (shown under each flag). A flag the caller may not change is shown disabled with who may;
 * the server enforces the same rule, and its 403 is shown if a change is refused.
 */
export function FlagsPanel({ onNotice }: { onNotice: (message: string, isError?: boolean) => void }) {
  const { t, formats, config, language, can } = useSession();
  const [flags, setFlags] = useState<FlagView[] | null>(null);
  // A flag just turned back on: offer to run what it skipped meanwhile (bulk re-run, previewed).
  const [turnedOn, setTurnedOn] = useState<string | null>(null);
  const [rerunStage, setRerunStage] = useState<string | null>(null);
  const gated = (key: string) =>
    config.pipelines.flatMap((p) => p.stages.filter((s) => s.flag === key).map((s) => ({ stage: s.name, pipeline: p.name })));
  const [pending, setPending] = useState<string | null>(null);
  const [asking, setAsking] = useState<FlagView | null>(null);
  const [refusals, setRefusals] = useState<Record<string, string>>({});
  const [version, setVersion] = useState(0);
  /** The flag as people name it (what it turns off), else its description; the key is shown beside it for operators. */
  const about = (flag: FlagView) => flagDescription(flag, language);
  const nameOf = (flag: FlagView) => flagLabel(config, language, flag.key) ?? about(flag);
  const named = (flag: FlagView) => `${nameOf(flag)} (${flag.key})`;
  /**
   * What the change does to payments, said before it is made: the stages it turns off or on by
   * name, and that payments which skipped them do not run them later by themselves. A flag no
   * stage is gated by (read by a stage's own code) keeps the general sentence.
   */
  const consequence = (flag: FlagView) => {
    const stages = gated(flag.key).map(({ stage, pipeline }) => stageLabel(config, language, stage, pipeline));
    if (stages.length === 0) return t('flagConfirmBody');
    const what = `${flag.value ? t('flagConfirmOff') : t('flagConfirmOn')} ${[...new Set(stages)].join(', ')}.`;
    return `${what} ${can('stages:rerun') ? t('flagConfirmLater') : t('flagConfirmLaterAsk')}`;
  };

  const load = () =>
    api
      .flags()
      .then((loaded) => setFlags(loaded.items))
      .catch((error: unknown) => onNotice(failureText(t, error), true));

  useEffect(() => {
    void load();
  }, []);
  const target = useFlagTarget(flags !== null);

  const change = async (flag: FlagView, reason: string) => {
    setPending(flag.key);
    try {
      await api.setFlag(flag.key, !flag.value, reason);
      setTurnedOn(!flag.value && can('stages:rerun') && gated(flag.key).length > 0 ? flag.key : null);
      setRefusals(({ [flag.key]: _dropped, ...rest }) => rest);
      onNotice(`${t('flagChanged')} ${named(flag)}`);
    } catch (error) {
      // The server's words are English; a refusal is said in the page's language, with who may.
      const message =
        error instanceof ApiError && error.status === 403 && error.code === 'FORBIDDEN'
          ? `${t('flagRefused')} ${named(flag)}. ${t('flagOnlyAllowed')} ${flag.allowed.join(', ')}`
          : failureText(t, error);
      setRefusals((current) => ({ ...current, [flag.key]: message }));
      onNotice(message, true);
    } finally {
      setPending(null);
      setVersion((current) => current + 1);
      await load();
    }
  };

  if (!flags) return <p class="muted">{t('loading')}</p>;
  return (
    <>
      <ul class="flags" data-testid="flags-panel">
        {flags.map((flag) => {
          const id = `flag-${flag.key}`;
          return (
            <li
              key={flag.key}
              id={`flag-item-${flag.key}`}
              class={`flag ${flag.canChange ? '' : 'flag-locked'} ${target === flag.key ? 'flag-target' : ''}`}
              data-flag={flag.key}
            >
              <label class="switch" for={id}>
                <input
                  id={id}
                  type="checkbox"
                  role="switch"
                  checked={flag.value}
                  disabled={!flag.canChange || pending === flag.key}
                  aria-describedby={`${id}-about`}
                  onChange={(event) => {
                    // The box shows the server's value until the server says the change happened.
                    (event.currentTarget as HTMLInputElement).checked = flag.value;
                    setAsking(flag);
                  }}
                />
                <span class="flag-title">
                  <span class="flag-name" data-testid="flag-name">
                    {nameOf(flag)}
                  </span>
                  <code class="flag-key">{flag.key}</code>
                  {/* In words too: a switch greyed out (not theirs to change) read as off when it was on. */}
                  <span class={`flag-state ${flag.value ? 'flag-state-on' : 'flag-state-off'}`} data-testid="flag-state" aria-hidden="true">
                    {flag.value ? t('flagStateOn') : t('flagStateOff')}
                  </span>
                </span>
              </label>
              <div id={`${id}-about`} class="flag-about">
                {flagLabel(config, language, flag.key) !== null && <div data-testid="flag-description">{about(flag)}</div>}
                {!flag.canChange && (
                  <div class="warn-text small" data-testid="flag-reason">
                    {t('flagOnlyAllowed')} {flag.allowed.join(', ')}
                  </div>
                )}
                {refusals[flag.key] && <div class="error-text small">{refusals[flag.key]}</div>}
                <div class="muted small">
                  {t('changedBy')}: {formats.dateTime(flag.updatedAt)}
                  {flag.updatedBy ? ` · ${flag.updatedBy}` : ''}
                </div>
                {turnedOn === flag.key && (
                  <div class="flag-offer" data-testid="flag-offer">
                    {bulkText(language)('flagOfferBody')}{' '}
                    {gated(flag.key).map(({ stage, pipeline }) => (
                      <button
                        key={stage}
                        type="button"
                        class="small-button"
                        data-testid={`flag-offer-${stage}`}
                        onClick={() => setRerunStage(stage)}
                      >
                        {stageLabel(config, language, stage, pipeline)} — {bulkText(language)('flagOfferButton')}
                      </button>
                    ))}
                  </div>
                )}
                <FlagHistory flagKey={flag.key} version={version} />
              </div>
            </li>
          );
        })}
      </ul>
      {rerunStage && (
        <BulkRetryDialog
          filters={NO_FILTERS}
          initial={{ mode: 'rerun', rerun: rerunStage }}
          onClose={() => setRerunStage(null)}
          onDone={() => undefined}
        />
      )}
      {asking && (
        <ConfirmDialog
          title={`${asking.value ? t('flagTurnOff') : t('flagTurnOn')} ${named(asking)}`}
          body={`${about(asking)} — ${consequence(asking)}`}
          confirmLabel={asking.value ? t('flagTurnOff') : t('flagTurnOn')}
          reasonLabel={t('flagReason')}
          reasonMissing={t('flagReasonMissing')}
          onCancel={() => setAsking(null)}
          onConfirm={(reason) => {
            const flag = asking;
            setAsking(null);
            void change(flag, reason);
          }}
        />
      )}
    </>
  );
}

/** The flag the address points at (`#/flags/<key>`, from the audit log), brought into sight once the flags are shown. */
function useFlagTarget(shown: boolean): string | null {
  const [target, setTarget] = useState(() => flagKeyFromHash(location.hash));
  useEffect(() => {
    const onHash = () => setTarget(flagKeyFromHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    if (shown && target) document.getElementById(`flag-item-${target}`)?.scrollIntoView({ block: 'center' });
  }, [shown, target]);
  return target;
}

/** The flag's last changes: when, who, from what to what, and why. Loaded when opened. */
function FlagHistory({ flagKey, version }: { flagKey: string; version: number }) {
  const { t, formats } = useSession();
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<FlagChange[] | null>(null);
  useEffect(() => {
    if (!open) return;
    let current = true;
    api
      .flagHistory(flagKey)
      .then((page) => current && setItems(page.items))
      .catch(() => current && setItems([]));
    return () => {
      current = false;
    };
  }, [open, version, flagKey]);
  const state = (value: boolean | null) => (value === null ? '—' : value ? t('flagOn') : t('flagOff'));
  return (
    <details class="flag-history" onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
      <summary class="small">{t('flagHistory')}</summary>
      {items === null && <p class="muted small">{t('loading')}</p>}
      {items?.length === 0 && <p class="muted small">{t('flagHistoryEmpty')}</p>}
      {items && items.length > 0 && (
        <ol class="history-list small" data-testid={`flag-history-${flagKey}`}>
          {items.map((item) => (
            <li key={item.id}>
              <div>
                {state(item.oldValue)} → <b>{state(item.newValue)}</b>
              </div>
              <div class="muted">
                {formats.dateTime(item.at)} · {item.actor}
              </div>
              <div class={item.reason ? 'history-reason' : 'muted'}>{item.reason ?? t('noReason')}</div>
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
