import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken } from './api.js';
import { Dashboard } from './components/Dashboard.js';
import { SignIn } from './components/SignIn.js';
import { SessionContext, type Session } from './context.js';
import { makeFormats } from './format.js';
import { languageFromBrowser, translator, type Language } from './i18n.js';
import type { DashboardConfig, Me } from './types.js';

const DEFAULT_CONFIG: DashboardConfig = {
  columns: [],
  locale: 'es-CO',
  timeZone: 'America/Bogota',
  currency: 'COP',
  devLogin: false,
};

type AuthState = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; me: Me } | { kind: 'failed'; message: string };

export function App() {
  const [language, setLanguage] = useState<Language>(() => languageFromBrowser(navigator.languages ?? [navigator.language]));
  const [auth, setAuth] = useState<AuthState>({ kind: 'loading' });
  const [config, setConfig] = useState<DashboardConfig>(DEFAULT_CONFIG);
  const t = useMemo(() => translator(language), [language]);

  const load = async () => {
    // The configuration is public (the sign-in screen needs `devLogin`); read it either way.
    const configLoad = api.config().then((loaded) => setConfig({ ...DEFAULT_CONFIG, ...loaded }), () => undefined);
    try {
      const me = await api.me();
      setCsrfToken(me.csrfToken);
      await configLoad;
      setAuth({ kind: 'signed-in', me });
    } catch (error) {
      await configLoad;
      if (error instanceof ApiError && error.status === 401) setAuth({ kind: 'signed-out' });
      else setAuth({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };

  useEffect(() => {
    void load();
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
      formats: makeFormats(config.locale, config.timeZone, config.currency),
      can: (scope) => scopes.has(scope) || scopes.has('*'),
    };
  }, [auth, config, t]);

  const signOut = async () => {
    try {
      await api.logout();
    } finally {
      setCsrfToken(null);
      setAuth({ kind: 'signed-out' });
    }
  };

  if (auth.kind === 'loading') return <p class="muted center">{t('loading')}</p>;
  if (auth.kind === 'failed') return <p class="error-text center">{auth.message}</p>;
  if (!session) return <SignIn t={t} devLogin={config.devLogin} onSignedIn={() => void load()} />;
  return (
    <SessionContext.Provider value={session}>
      <Dashboard onSignOut={() => void signOut()} onToggleLanguage={() => setLanguage(language === 'es' ? 'en' : 'es')} />
    </SessionContext.Provider>
  );
}
