/** Durations as people write them in config and on the command line: `30s`, `15m`, `48h`, `7d`. */

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const DURATION_PATTERN = /^(\d{1,6})(s|m|h|d)$/;
export const DURATION_HINT = 'a duration like 30s, 15m, 48h or 7d';

/** Milliseconds of `text`, or null when it is not a duration (or is zero). */
export function parseDuration(text: string): number | null {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : null;
}
