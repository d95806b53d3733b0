/** The page's words in Spanish (the default) and English. Dates and money are written as the
 * page's language writes them (format.ts). */
import { en } from './i18n-en.js';
import { es, type MessageKey } from './i18n-es.js';

export type { MessageKey };

export type Language = 'es' | 'en';
export type Translate = (key: MessageKey) => string;

/** Spanish unless the browser prefers English. */
export function languageFromBrowser(languages: readonly string[]): Language {
  const first = languages[0]?.toLowerCase() ?? 'es';
  return first.startsWith('en') ? 'en' : 'es';
}

export function translator(language: Language): Translate {
  const messages = language === 'en' ? en : es;
  return (key) => messages[key];
}
