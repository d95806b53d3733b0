import { UsageError } from './errors.js';

/**
 * A date an operator types for `--since`/`--until`: an ISO 8601 time with its offset
 * (`2026-12-01T08:00:00-05:00`, `…Z`), or a day (`2026-12-01`) meaning its midnight in the
 * config's time zone (Default: America/Bogota) — never the shell's TZ, so two operators get
 * the same events. A time without an offset is ambiguous and refused.
 */
export function parseCliDate(value: string, flag: string, timeZone: string): Date {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const utcMidnight = Date.UTC(year, month - 1, date);
    const check = new Date(utcMidnight);
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) throw invalid(value, flag);
    // Midnight there is midnight UTC minus the zone's offset at that moment (checked twice for DST).
    let at = utcMidnight - offsetMs(timeZone, new Date(utcMidnight));
    at = utcMidnight - offsetMs(timeZone, new Date(at));
    return new Date(at);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) throw invalid(value, flag);
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw invalid(value, flag);
  return parsed;
}

function invalid(value: string, flag: string): UsageError {
  return new UsageError(`${flag} must be a day (2026-12-01) or a time with its offset (2026-12-01T08:00:00-05:00), got "${value}"`);
}

/** The zone's offset from UTC at `at`, in milliseconds (Bogotá: -5 h). */
function offsetMs(timeZone: string, at: Date): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')
      ?.value ?? 'GMT';
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return (match[1] === '-' ? -1 : 1) * minutes * 60_000;
}
