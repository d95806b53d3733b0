import { useState } from 'preact/hooks';
import { Logo } from './Logo.js';
import { api, ApiError } from '../api.js';
import type { Translate } from '../i18n.js';
import type { SignInMethods } from '../types.js';

interface SignInProps {
  t: Translate;
  /** What the server offers (GET /auth/methods); null while it is being asked. */
  methods: SignInMethods | null;
  onToggleLanguage: () => void;
  onSignedIn: () => void;
}

/**
 * Only the ways this server offers: the company's OpenID Connect provider when configured,
 * the demo's development form in demo mode, and always how to get a one-time link, which is
 * the way in when there is no provider.
 */
export function SignIn({ t, methods, onToggleLanguage, onSignedIn }: SignInProps) {
  return (
    <main class="sign-in">
      <button type="button" class="small-button sign-in-language" onClick={onToggleLanguage} data-testid="sign-in-language">
        {t('language')}
      </button>
      <h1>
        <Logo /> {t('signInTitle')}
      </h1>
      {methods?.oidc && (
        <a class="button primary" href="/auth/login" data-testid="sign-in">
          {t('signInOidc')}
        </a>
      )}
      {methods?.devLogin && <DevLogin t={t} onSignedIn={onSignedIn} />}
      {methods && <LinkHelp t={t} primary={!methods.oidc && !methods.devLogin} />}
    </main>
  );
}

/** How to get a one-time link: the main text when it is the only way, else a footnote. */
function LinkHelp({ t, primary }: { t: Translate; primary: boolean }) {
  return (
    <section class={primary ? 'link-help' : 'link-help small muted'} data-testid="link-help">
      <p>{primary ? t('linkHelpOnly') : t('linkHelpAlso')}</p>
      <code class="command">webpig login-link {t('linkHelpEmail')}</code>
      {primary && <p class="small muted">{t('linkHelpAfter')}</p>}
    </section>
  );
}

function DevLogin({ t, onSignedIn }: { t: Translate; onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const submit = async (submitEvent: Event) => {
    submitEvent.preventDefault();
    setFailure(null);
    try {
      await api.devLogin(email);
      onSignedIn();
    } catch (error) {
      setFailure(error instanceof ApiError ? error.message : t('unknownError'));
    }
  };
  return (
    <form class="dev-login" onSubmit={(submitEvent) => void submit(submitEvent)} data-testid="dev-login">
      <h2>⚠ {t('devSignInTitle')}</h2>
      <p class="small">{t('devSignInHelp')}</p>
      <label>
        {t('email')}
        <input
          type="email"
          name="email"
          required
          value={email}
          onInput={(change) => setEmail((change.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">{t('enter')}</button>
      {failure && <p class="error-text">{failure}</p>}
    </form>
  );
}
