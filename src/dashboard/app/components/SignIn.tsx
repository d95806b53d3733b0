import { useState } from 'preact/hooks';
import { Logo } from './Logo.js';
import { api, ApiError } from '../api.js';
import type { Translate } from '../i18n.js';

interface SignInProps {
  t: Translate;
  devLogin: boolean;
  onSignedIn: () => void;
}

/** "Sign in" goes to the OpenID Connect provider; the dev form exists only in demo mode. */
export function SignIn({ t, devLogin, onSignedIn }: SignInProps) {
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
    <main class="sign-in">
      <h1><Logo /> {t('signInTitle')}</h1>
      <a class="button primary" href="/auth/login" data-testid="sign-in">
        {t('signIn')}
      </a>
      {devLogin && (
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
      )}
    </main>
  );
}
