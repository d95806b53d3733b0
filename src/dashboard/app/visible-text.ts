/**
 * Text someone else wrote (a refused delivery's address, body, reason) as the page shows it: its
 * invisible characters made visible. Preact already escapes markup, so `<img onerror=…>` shows as
 * characters; but a control character, a zero-width one or a bidi override (U+202E turns
 * "gpj.exe" around) would change what the reader sees without showing itself. Each becomes its
 * code in brackets ("⟦U+202E⟧"); a newline or tab stays what it is.
 */
const HIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB]/g;

export function visibleText(text: string): string {
  return text.replace(HIDDEN, (char) => `⟦U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟧`);
}
