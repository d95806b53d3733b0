import type { StageLabel } from './pipeline.js';

/**
 * Words people read, written in the config as one text for every language or as texts by
 * language (`{ es: 'Emitir la factura', en: 'Issue the invoice' }`): a stage's label, a flag's
 * description. Where only one text fits (the flags table, the CLI's lines), Spanish is kept,
 * the dashboard's default language, else English.
 */
export function singleText(text: StageLabel): string {
  return typeof text === 'string' ? text : (text.es ?? text.en ?? '');
}

/** The texts by language as written, or null when one text serves every language. */
export function textsByLanguage(text: StageLabel | undefined): { es?: string; en?: string } | null {
  if (text === undefined || typeof text === 'string') return null;
  return { ...(text.es !== undefined ? { es: text.es } : {}), ...(text.en !== undefined ? { en: text.en } : {}) };
}
