import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Formats } from './format.js';
import type { Language, Translate } from './i18n.js';
import type { DashboardConfig, Me } from './types.js';

/** What every view needs: who is signed in, the configuration, words and formats. */
export interface Session {
  me: Me;
  config: DashboardConfig;
  t: Translate;
  language: Language;
  formats: Formats;
  /** Whether the caller's scopes include this one (the server checks again on every call). */
  can(scope: string): boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionContext');
  return session;
}
