/**
 * Money, dates (in the configured time zone, America/Bogota), shares and seconds, written the way
 * the page's language reads them without doubt: es-CO in Spanish (05/12/2026, $ 45.000, 94,6 %),
 * English's own in English (Dec 5, 2026, 14:03:05; COP 45,000; 94.6%), never 05/12 or 2.300,50
 * in English.
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
  // Money follows the page's language, as dates and shares do: 2.300,50 reads as two point three
  // to an English reader, 2,300.50 as two thousand to a Spanish one. Spanish keeps the configured
  // Spanish locale (es-CO: $ 45.000, US$ 30,00, MXN 2.300,50); English writes as en-US does
  // (COP 45,000, MX$2,300.50, R$1,234.50, €99.90), where no symbol stands for another currency
  // but the dollar's (below). Each currency keeps its own decimals (pesos none, dollars two).
  const moneyLocale = english ? 'en-US' : locale.toLowerCase().startsWith('es') ? locale : 'es-CO';
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
        format = new Intl.NumberFormat(moneyLocale, { style: 'currency', currency });
      } catch {
        format = new Intl.NumberFormat(moneyLocale, { maximumFractionDigits: 2 });
      }
      moneyFormats.set(currency, format);
    }
    return format;
  };
  const money = (amount: number, currency: string): string => {
    const parts = moneyFormat(currency).formatToParts(amount);
    // en-US writes the US dollar as a bare "$", which people of a peso install read as pesos (the
    // Spanish page writes pesos so): there the English page says US$, as the Spanish one does.
    const bareDollar = english && currency === 'USD' && defaultCurrency !== 'USD';
    return parts.map((part) => (bareDollar && part.type === 'currency' && part.value === '$' ? 'US$' : part.value)).join('');
  };
  // Shares and seconds follow the page's language, as dates do: 94,6 % and 1,5 s in Spanish
  // (the configured locale's decimal comma), 94.6% and 1.5 s in English, where a comma reads as
  // a thousands separator.
  const numberLocale = english ? 'en-US' : locale;
  const percent = new Intl.NumberFormat(numberLocale, { style: 'percent', maximumFractionDigits: 1 });
  const seconds = new Intl.NumberFormat(numberLocale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return {
    dateTime: (iso) => (iso ? timeTogether(dateTime.format(new Date(iso))) : '—'),
    minuteDateTime: (iso) => timeTogether(minuteDateTime.format(new Date(iso))),
    // Without the year, es-CO drops the day's and month's leading zero (7/12): put it back, dd/mm.
    shortDateTime: (iso) =>
      shortDateTime
        .formatToParts(new Date(iso))
        .map((part) => (!english && (part.type === 'day' || part.type === 'month') ? part.value.padStart(2, '0') : part.value))
        .join('')
        .replace(MERIDIEM, '\u00a0$1.\u00a0m.'),
    money: (amount, currency) => (amount === undefined ? '—' : money(amount, currency ?? defaultCurrency)),
    duration: (ms) => {
      if (ms === null || ms === undefined) return '—';
      if (ms < 1000) return `${Math.round(ms)} ms`;
      if (ms < 60_000) return `${seconds.format(ms / 1000)} s`;
      return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
    },
    percent: (ratio) => (ratio === null || ratio === undefined ? '—' : percent.format(ratio)),
  };
}

/**
 * es-CO writes "02:28:27 p. m." with plain spaces: in a narrow column the line broke inside it
 * ("p." at one line's end, "m." on the next). No-break spaces keep the time and its "p. m." whole.
 */
const MERIDIEM = / ([ap])\. m\./g;
function timeTogether(text: string): string {
  return text.replace(MERIDIEM, '\u00a0$1.\u00a0m.');
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
