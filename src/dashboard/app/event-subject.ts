import type { Formats } from './format.js';
import type { EventRow } from './types.js';

/**
 * An event as a dialog names it: its number, customer and amount ("#1296 · Laura Gómez ·
 * $ 100.000"), so a question about "this event" says which one, over a list of look-alikes.
 */
export function eventSubject(formats: Formats, event: Pick<EventRow, 'id' | 'summary'>): string {
  const { customer, amount, currency } = event.summary;
  const parts = [`#${event.id}`, customer?.name, amount === undefined ? undefined : formats.money(amount, currency)];
  return parts.filter((part) => part !== undefined && part !== '').join(' · ');
}
