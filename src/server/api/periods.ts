/**
 * "Today" and "this week" in the dashboard's time zone (`dashboard.timeZone`), never the
 * machine's: a server in UTC must not start Bogotá's day at 7 p.m. the evening before.
 * Weeks start on Monday (ISO 8601, as in Colombia).
 */

export interface Period {
  since: Date;
  until: Date;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
  weekday: number; // 1 Monday … 7 Sunday
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function localParts(instant: Date, timeZone: string): LocalDate & { hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(part('year')),
    month: Number(part('month')),
    day: Number(part('day')),
    weekday: WEEKDAYS[part('weekday')] ?? 1,
    hour: Number(part('hour')),
    minute: Number(part('minute')),
    second: Number(part('second')),
  };
}

/** An instant as the zone's wall clock, `2026-12-07 01:48:57`: what a spreadsheet reads as a date and time. */
export function localTimestamp(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** The zone's offset from UTC at an instant, in ms (Bogotá: -5 h). */
function offsetMs(instant: Date, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant a local calendar day begins (Date.UTC normalises day overflow). */
export function startOfLocalDay(year: number, month: number, day: number, timeZone: string): Date {
  const wallClock = Date.UTC(year, month - 1, day);
  // Twice: the offset at the first guess can differ from the offset at midnight (DST).
  const guess = wallClock - offsetMs(new Date(wallClock), timeZone);
  return new Date(wallClock - offsetMs(new Date(guess), timeZone));
}

export function todayAndWeek(now: Date, timeZone: string): { today: Period; week: Period } {
  const local = localParts(now, timeZone);
  const today = {
    since: startOfLocalDay(local.year, local.month, local.day, timeZone),
    until: startOfLocalDay(local.year, local.month, local.day + 1, timeZone),
  };
  const monday = local.day - (local.weekday - 1);
  const week = {
    since: startOfLocalDay(local.year, local.month, monday, timeZone),
    until: startOfLocalDay(local.year, local.month, monday + 7, timeZone),
  };
  return { today, week };
}
