import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { Dashboard } from './components/Dashboard.js';
import { SignIn } from './components/SignIn.js';
import { SessionContext, type Session } from './context.js';
import { makeFormats } from './format.js';
import { languageFromBrowser, translator, type Language } from './i18n.js';
import { rememberSourceKinds } from './source-names.js';
import type { DashboardConfig, Me, SignInMethods } from './types.js';

const DEFAULT_CONFIG: DashboardConfig = {
  columns: [],
  pipelines: [],
  locale: 'es-CO',
  timeZone: 'America/Bogota',
  currency: 'COP',
  devLogin: false,
  sources: null,
  sourceKinds: null,
  removedSources: [],
};

const LANGUAGE_KEY = 'webpig.language';

/** The language chosen with the button, kept across reloads; else the browser's. */
function initialLanguage(): Language {
  try {
    const saved = localStorage.getItem(LANGUAGE_KEY);
    if (saved === 'es' || saved === 'en') return saved;
  } catch {
    // Storage can be disabled (privacy settings): the browser's language it is.
  }
  return languageFromBrowser(navigator.languages ?? [navigator.language]);
}

function rememberLanguage(language: Language): void {
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch {
    // Not remembered; nothing else depends on it.
  }
}

type AuthState = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; me: Me } | { kind: 'failed'; message: string };

export function App() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const [auth, setAuth] = useState<AuthState>({ kind: 'loading' });
  const [config, setConfig] = useState<DashboardConfig>(DEFAULT_CONFIG);
  const [methods, setMethods] = useState<SignInMethods | null>(null);
  const t = useMemo(() => translator(language), [language]);

  const load = async () => {
    try {
      const me = await api.me();
      setCsrfToken(me.csrfToken);
      const config = { ...DEFAULT_CONFIG, ...(await api.config()) };
      rememberSourceKinds(config.sourceKinds);
      setConfig(config);
      setAuth({ kind: 'signed-in', me });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        // /api/config needs a session; /auth/methods says which sign-in buttons to show.
        setMethods(await api.signInMethods());
        setAuth({ kind: 'signed-out' });
      } else {
        setAuth({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    }
  };

  useEffect(() => {
    // A session that ends while the page is open (expired, signed out in another tab) brings
    // back the sign-in screen instead of a row of errors.
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      void load();
    });
    void load();
    return () => setUnauthorizedHandler(null);
  }, []);

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const session = useMemo<Session | null>(() => {
    if (auth.kind !== 'signed-in') return null;
    const scopes = new Set(auth.me.scopes);
    return {
      me: auth.me,
      config,
      t,
      language,
      formats: makeFormats(config.locale, config.timeZone, config.currency, language),
      can: (scope) => scopes.has(scope) || scopes.has('admin'),
    };
  }, [auth, config, t, language]);

  const signOut = async () => {
    try {
      await api.logout();
    } finally {
      setCsrfToken(null);
      // Back to the sign-in screen through load(), which asks which sign-ins exist.
      void load();
    }
  };

  if (auth.kind === 'loading') return <p class="muted center">{t('loading')}</p>;
  if (auth.kind === 'failed') return <p class="error-text center">{auth.message}</p>;
  const toggleLanguage = () => {
    const next = language === 'es' ? 'en' : 'es';
    rememberLanguage(next);
    setLanguage(next);
  };
  if (!session) return <SignIn t={t} methods={methods} onToggleLanguage={toggleLanguage} onSignedIn={() => void load()} />;
  return (
    <SessionContext.Provider value={session}>
      <Dashboard onSignOut={() => void signOut()} onToggleLanguage={toggleLanguage} />
    </SessionContext.Provider>
  );
}
