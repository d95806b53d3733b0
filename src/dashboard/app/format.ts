/**
 * Money in the configured locale (es-CO); dates in the configured time zone (America/Bogota),
 * written the way the page's language reads them without doubt: es-CO day first (05/12/2026)
 * in Spanish, the month's name in English (Dec 5, 2026, 14:03:05), never 05/12 in English.
 * Shares and seconds take the page's language's decimal mark too.
 */

export interface Formats {
  dateTime(iso: string | null): string;
  /** Day (with the year) and time to the minute, for periods people read as dates, not instants. */
  minuteDateTime(iso: string): string;
  /** Day and time without seconds or year, for compact lists. */
  shortDateTime(iso: string): string;
  money(amount: number | undefined, currency: string | undefined): string;
  duration(ms: number | null): string;
  percent(ratio: number | null): string;
}

export function makeFormats(
  locale: string,
  timeZone: string,
  defaultCurrency: string,
  language: 'es' | 'en' = locale.toLowerCase().startsWith('en') ? 'en' : 'es',
): Formats {
  const english = language === 'en';
  const toMinute = {
    timeZone,
    year: 'numeric',
    month: english ? 'short' : '2-digit',
    day: english ? 'numeric' : '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(english ? { hourCycle: 'h23' as const } : {}),
  } as const;
  const dateTime = new Intl.DateTimeFormat(english ? 'en-US' : 'es-CO', { ...toMinute, second: '2-digit' });
  const minuteDateTime = new Intl.DateTimeFormat(english ? 'en-US' : 'es-CO', toMinute);
  const shortDateTime = new Intl.DateTimeFormat(english ? 'en-US' : 'es-CO', {
    timeZone,
    month: english ? 'short' : '2-digit',
    day: english ? 'numeric' : '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(english ? { hourCycle: 'h23' as const } : {}),
  });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  const moneyFormat = (currency: string): Intl.NumberFormat => {
    let format = moneyFormats.get(currency);
    if (!format) {
      try {
        format = new Intl.NumberFormat(locale, { style: 'currency', currency });
        // Money keeps the configured locale (45.000 stays 45.000), but on the English page a
        // symbol an English reader knows as another currency ("$" for pesos reads as US
        // dollars) gives way to the code: COP 45.000. Spanish keeps the locale's own "$".
        if (english && readsAsAnotherCurrency(currencySymbol(format), currency)) {
          format = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'code' });
        }
      } catch {
        format = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
      }
      moneyFormats.set(currency, format);
    }
    return format;
  };
  // Shares and seconds follow the page's language, as dates do: 94,6 % and 1,5 s in Spanish
  // (the configured locale's decimal comma), 94.6% and 1.5 s in English, where a comma reads as
  // a thousands separator. Money alone keeps the configured locale.
  const numberLocale = english ? 'en-US' : locale;
  const percent = new Intl.NumberFormat(numberLocale, { style: 'percent', maximumFractionDigits: 1 });
  const seconds = new Intl.NumberFormat(numberLocale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return {
    dateTime: (iso) => (iso ? dateTime.format(new Date(iso)) : '—'),
    minuteDateTime: (iso) => minuteDateTime.format(new Date(iso)),
    // Without the year, es-CO drops the day's and month's leading zero (7/12): put it back, dd/mm.
    shortDateTime: (iso) =>
      shortDateTime
        .formatToParts(new Date(iso))
        .map((part) => (!english && (part.type === 'day' || part.type === 'month') ? part.value.padStart(2, '0') : part.value))
        .join(''),
    money: (amount, currency) => (amount === undefined ? '—' : moneyFormat(currency ?? defaultCurrency).format(amount)),
    duration: (ms) => {
      if (ms === null || ms === undefined) return '—';
      if (ms < 1000) return `${Math.round(ms)} ms`;
      if (ms < 60_000) return `${seconds.format(ms / 1000)} s`;
      return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
    },
    percent: (ratio) => (ratio === null || ratio === undefined ? '—' : percent.format(ratio)),
  };
}

/** Currencies an English reader meets often enough to read their symbol as them ($ is the US dollar). */
const CURRENCIES_KNOWN_IN_ENGLISH = ['USD', 'EUR', 'GBP', 'JPY', 'CNY', 'INR', 'CAD', 'AUD', 'MXN', 'BRL', 'KRW', 'ILS'];
let symbolsInEnglish: Map<string, string> | undefined;

function currencySymbol(format: Intl.NumberFormat): string {
  return format.formatToParts(0).find((part) => part.type === 'currency')?.value ?? '';
}

/** Whether this symbol is how en-US writes another currency: "$" for COP is USD's "$". */
function readsAsAnotherCurrency(symbol: string, currency: string): boolean {
  symbolsInEnglish ??= new Map(
    CURRENCIES_KNOWN_IN_ENGLISH.map((code) => [
      code,
      currencySymbol(new Intl.NumberFormat('en-US', { style: 'currency', currency: code })),
    ]),
  );
  for (const [code, english] of symbolsInEnglish) {
    if (code !== currency && english === symbol) return true;
  }
  return false;
}

/** JSON as indented text; rendered through Preact as a text node, so markup in it stays text. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

/** Minutes the zone is ahead of UTC at this instant (Bogotá: -300). */
function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

/**
 * The instant a day (YYYY-MM-DD, from a date input) starts in the dashboard's time zone, plus
 * `days` days: "from 23/11" in Bogotá means from 23/11 00:00 in Bogotá, 05:00 UTC.
 */
export function dayStartIn(day: string, timeZone: string, days = 0): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const midnightUtc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  const offset = zoneOffsetMinutes(new Date(midnightUtc), timeZone);
  return new Date(midnightUtc - offset * 60_000).toISOString();
}
