/** Dates and money in the configured locale (es-CO) and time zone (America/Bogota). */

export interface Formats {
  dateTime(iso: string | null): string;
  /** Day and time without seconds or year, for compact lists. */
  shortDateTime(iso: string): string;
  money(amount: number | undefined, currency: string | undefined): string;
  duration(ms: number | null): string;
  percent(ratio: number | null): string;
}

export function makeFormats(locale: string, timeZone: string, defaultCurrency: string): Formats {
  const dateTime = new Intl.DateTimeFormat(locale, {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const shortDateTime = new Intl.DateTimeFormat(locale, {
    timeZone,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  const moneyFormat = (currency: string): Intl.NumberFormat => {
    let format = moneyFormats.get(currency);
    if (!format) {
      try {
        format = new Intl.NumberFormat(locale, { style: 'currency', currency });
      } catch {
        format = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
      }
      moneyFormats.set(currency, format);
    }
    return format;
  };
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  return {
    dateTime: (iso) => (iso ? dateTime.format(new Date(iso)) : '—'),
    shortDateTime: (iso) => shortDateTime.format(new Date(iso)),
    money: (amount, currency) => (amount === undefined ? '—' : moneyFormat(currency ?? defaultCurrency).format(amount)),
    duration: (ms) => {
      if (ms === null || ms === undefined) return '—';
      if (ms < 1000) return `${Math.round(ms)} ms`;
      if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
      return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
    },
    percent: (ratio) => (ratio === null || ratio === undefined ? '—' : percent.format(ratio)),
  };
}

/** JSON as indented text; rendered through Preact as a text node, so markup in it stays text. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}
