/**
 * Characters a reader cannot see, or that change how the text around them looks: C0 and C1
 * controls, the bidirectional marks, embeddings, overrides and isolates (U+202E turns
 * "evt_1<U+202E>cba" into what looks like "evt_1abc"), zero-width spaces and joiners, the line
 * and paragraph separators, the soft hyphen, the Hangul and Mongolian fillers, the interlinear
 * annotation marks and the byte-order mark. One provider id could be made to look like
 * another with them, on the dashboard and in a terminal (where a control can also be an escape
 * sequence).
 */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** The same set, for finding the first one (no `g`: a global regex keeps state between calls). */
const FIRST_HIDDEN = new RegExp(HIDDEN.source);

/** Tab and line feed, which lay multi-line text out (a payload's JSON) rather than hide anything. */
const LAYOUT = new Set(['\t', '\n']);

/** `[U+202E]`: how a hidden character is shown. */
function shown(character: string): string {
  return `[U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;
}

/**
 * The text with every hidden character written out as `[U+XXXX]`, so two look-alike ids look
 * different and nothing in the text reorders or hides what follows it. Tabs and line feeds stay.
 */
export function visibleText(text: string): string {
  return text.replace(HIDDEN, (character) => (LAYOUT.has(character) ? character : shown(character)));
}

/** The first hidden character in an identifier, as `U+202E` (tabs and line feeds count too), or null. */
export function hiddenCharacterIn(text: string): string | null {
  const match = FIRST_HIDDEN.exec(text);
  return match ? shown(match[0]).slice(1, -1) : null;
}
