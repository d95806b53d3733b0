/** Hours on a chart's axis and legend, in the dashboard's time zone and the page's language. */

export function seconds(iso: string): number {
  return Math.floor(new Date(iso).getTime() / 1000);
}

export function hourLabels(timeZone: string, language: 'es' | 'en') {
  const locale = language === 'en' ? 'en-US' : 'es-CO';
  const hour = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const full = new Intl.DateTimeFormat(locale, {
    timeZone,
    month: language === 'en' ? 'short' : '2-digit',
    day: language === 'en' ? 'numeric' : '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return {
    hour: (epochSeconds: number) => hour.format(new Date(epochSeconds * 1000)),
    full: (epochSeconds: number) => full.format(new Date(epochSeconds * 1000)),
  };
}

/** Half an hour of room on each side, so the first and last hour's bars and points are whole. */
export function paddedHours(_u: unknown, min: number, max: number): [number, number] {
  return [min - 1800, max + 1800];
}
