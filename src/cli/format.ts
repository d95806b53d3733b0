import type { ResolvedConfig } from '../config/types.js';

/**
 * How the CLI shows times and money to people: in the config's `dashboard.timeZone`
 * (Default: America/Bogota) and `dashboard.currency` (Default: COP), with Colombian number
 * formats (es-CO; en-US when `dashboard.locale` is 'en'). Never from the shell's TZ or locale,
 * so two operators see the same thing. `--json` output keeps ISO-8601 UTC and plain numbers.
 */
export interface CliFormats {
  /** `2026-01-15 07:00:00 -05:00`, or '-' for null. */
  time(date: Date | null): string;
  /** `COP 1.200.000` (the event's own currency when it has one); '-' when there is no amount. */
  money(amount: number | undefined, currency?: string): string;
}

export const DEFAULT_TIME_ZONE = 'America/Bogota';
export const DEFAULT_CURRENCY = 'COP';

export function cliFormats(config: ResolvedConfig | null): CliFormats {
  const timeZone = config?.dashboard?.timeZone ?? DEFAULT_TIME_ZONE;
  const locale = config?.dashboard?.locale === 'en' ? 'en-US' : 'es-CO';
  const defaultCurrency = config?.dashboard?.currency ?? DEFAULT_CURRENCY;
  // The time zone was checked with the config's one parse (src/config/sections.ts).
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  const moneyFormat = (currency: string): Intl.NumberFormat => {
    let format = moneyFormats.get(currency);
    if (!format) {
      try {
        format = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'code' });
      } catch {
        // A currency code Intl does not know: the number in local format, then the code as given.
        const plain = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
        format = { format: (n: number) => `${currency} ${plain.format(n)}` } as Intl.NumberFormat;
      }
      moneyFormats.set(currency, format);
    }
    return format;
  };
  return {
    time(date) {
      if (!date) return '-';
      const p = Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value]));
      const offset = p.timeZoneName === 'GMT' ? '+00:00' : (p.timeZoneName ?? '').replace(/^GMT/, '');
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${offset}`;
    },
    money(amount, currency) {
      if (amount === undefined) return '-';
      // Intl puts a no-break space between code and number; a terminal table wants a plain one.
      return moneyFormat(currency ?? defaultCurrency)
        .format(amount)
        .replace(/\u00a0/g, ' ');
    },
  };
}
