/**
 * Days as the dashboard's people type and read them: day first (dd/mm/aaaa), in both languages.
 * A native date input cannot do this: Chromium draws it in the browser's own order (mm/dd/yyyy
 * for an English browser) whatever the page's language or its `lang` attribute.
 * The page keeps days as YYYY-MM-DD (the address, the API's filters); only the field shows them so.
 */

export type DayParse = { kind: 'empty' } | { kind: 'day'; day: string } | { kind: 'invalid'; reason: 'format' | 'no_such_day' };

const DAY_FIRST = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** What was typed, as a YYYY-MM-DD day: dd/mm/aaaa (also with - or .), or YYYY-MM-DD pasted from elsewhere. */
export function parseDayText(text: string): DayParse {
  const typed = text.trim();
  if (typed === '') return { kind: 'empty' };
  const iso = ISO_DAY.exec(typed);
  const dayFirst = DAY_FIRST.exec(typed);
  const parts = iso ? [iso[3], iso[2], iso[1]] : dayFirst ? [dayFirst[1], dayFirst[2], dayFirst[3]] : null;
  if (!parts) return { kind: 'invalid', reason: 'format' };
  const [day, month, year] = parts.map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  // 31/02 rolls over to 03/03 in Date: a day that does not exist is refused, not moved.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { kind: 'invalid', reason: 'no_such_day' };
  }
  return { kind: 'day', day: `${year}-${pad(month)}-${pad(day)}` };
}

/** A YYYY-MM-DD day as the field shows it, dd/mm/aaaa; anything else unchanged. */
export function dayText(day: string): string {
  const iso = ISO_DAY.exec(day);
  return iso ? `${iso[3]}/${iso[2]}/${iso[1]}` : day;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
