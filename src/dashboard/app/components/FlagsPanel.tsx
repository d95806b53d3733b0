import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { useSession } from '../context.js';
import type { FlagView } from '../types.js';

/**
 * Flag toggles. A flag the caller may not change is shown disabled with the server's reason;
 * the server enforces the same rule, and its 403 message is shown if a change is refused.
 */
export function FlagsPanel({ onNotice }: { onNotice: (message: string, isError?: boolean) => void }) {
  const { t, formats } = useSession();
  const [flags, setFlags] = useState<FlagView[] | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [refusals, setRefusals] = useState<Record<string, string>>({});

  const load = () =>
    api
      .flags()
      .then((loaded) => setFlags(loaded.items))
      .catch((error: unknown) => onNotice(error instanceof Error ? error.message : String(error), true));

  useEffect(() => {
    void load();
  }, []);

  const toggle = async (flag: FlagView) => {
    setPending(flag.key);
    try {
      await api.setFlag(flag.key, !flag.value);
      setRefusals(({ [flag.key]: _dropped, ...rest }) => rest);
      onNotice(`${t('flagChanged')} ${flag.key}`);
    } catch (error) {
      // The server's words are English; a refusal is said in the page's language, with who may.
      const message =
        error instanceof ApiError && error.status === 403 && error.code === 'FORBIDDEN'
          ? `${t('flagRefused')} ${flag.key}. ${t('flagOnlyAllowed')} ${flag.allowed.join(', ')}`
          : error instanceof ApiError
            ? error.message
            : t('unknownError');
      setRefusals((current) => ({ ...current, [flag.key]: message }));
      onNotice(message, true);
    } finally {
      setPending(null);
      await load();
    }
  };

  if (!flags) return <p class="muted">{t('loading')}</p>;
  return (
    <ul class="flags" data-testid="flags-panel">
      {flags.map((flag) => {
        const id = `flag-${flag.key}`;
        return (
          <li key={flag.key} class={`flag ${flag.canChange ? '' : 'flag-locked'}`} data-flag={flag.key}>
            <label class="switch" for={id}>
              <input
                id={id}
                type="checkbox"
                role="switch"
                checked={flag.value}
                disabled={!flag.canChange || pending === flag.key}
                aria-describedby={`${id}-about`}
                onChange={(change) => {
                  // The box shows the server's value until the server says the change happened.
                  (change.currentTarget as HTMLInputElement).checked = flag.value;
                  void toggle(flag);
                }}
              />
              <span class="flag-key">{flag.key}</span>
            </label>
            <div id={`${id}-about`} class="flag-about">
              <div>{flag.description}</div>
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
            </div>
          </li>
        );
      })}
    </ul>
  );
}
