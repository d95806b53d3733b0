import { toE164OrUndefined } from '../core/phone.js';
import type { EventSummary } from '../core/types.js';
import { storableText } from './storable.js';

/**
 * What the free-text filter (q=) searches, and the one form both the stored text and the
 * search term are compared in. Folded once at write time in JavaScript, so the result does not
 * depend on the database's locale or extensions (SQLite has no unaccent; PostgreSQL's may not
 * be installable): lower case, accents removed, and phone and document punctuation between
 * digits removed, so "María Gómez" is found by "maria gomez" and "+57 300 123 4567" by
 * "300 123 4567", "3001234567" or "57 300". Both stores write and query it alike; migrations
 * SQLite 0014 / PostgreSQL 0016 rewrote the events stored before it (search-text-refresh.ts).
 */

// NFD splits "í" into "i" and a combining acute accent; the nonspacing marks go.
const COMBINING_MARKS = /\p{Mn}+/gu;
// A code unit above U+007F: only then may NFD split something.
const NOT_ASCII = /[\u0080-\uffff]/;
const DIGIT = /\d/;
// Runs of whitespace other than one plain space.
const WHITESPACE = /\s{2,}|[^\S ]/gu;
// "+57 …", "(300) 123…": the plus and the brackets around digits say nothing the digits do not.
const DIGIT_PUNCTUATION = /[+(]+(?=\d)|(?<=\d)\)+/g;
// "300 123 4567", "123.456.789", "300-123-4567", "12/07": grouping between two digits.
const DIGIT_GROUPING = /(?<=\d)[ .\-/]+(?=\d)/g;

/** `text` folded for comparison: lower case, no accents, one space for any whitespace, digits ungrouped. */
export function normalizeSearch(text: string): string {
  const lower = storableText(text).toLowerCase();
  // Plain ASCII (most e-mails, ids, references) has no accent to remove: it runs on every insert.
  const unaccented = NOT_ASCII.test(lower) ? lower.normalize('NFD').replace(COMBINING_MARKS, '').normalize('NFC') : lower;
  const spaced = unaccented.replace(WHITESPACE, ' ');
  return DIGIT.test(spaced) ? spaced.replace(DIGIT_PUNCTUATION, '').replace(DIGIT_GROUPING, '') : spaced;
}

/**
 * The searched text of an event: the provider's event id, the customer's name, e-mail,
 * document id and phone, and every reference, each folded by normalizeSearch on its own line
 * (a term never matches across two fields). A phone written without its country code
 * ("300 123 4567") also gets a line with the number in E.164 digits, so "+57 300 123 4567"
 * finds it too.
 */
export function searchText(providerEventId: string, summary: EventSummary): string {
  const customer = summary.customer;
  const parts = [providerEventId, customer?.name, customer?.email, customer?.documentId, ...Object.values(summary.references ?? {})];
  const lines = parts.filter(isText).map(normalizeSearch);
  if (isText(customer?.phone)) lines.push(...phoneLines(customer.phone));
  return lines.join('\n');
}

function isText(part: unknown): part is string {
  return typeof part === 'string' && part !== '';
}

/** The phone as given, and its E.164 digits when the given form does not already hold them. */
function phoneLines(phone: string): string[] {
  const given = normalizeSearch(phone);
  const e164 = toE164OrUndefined(phone);
  const international = e164 === undefined ? undefined : normalizeSearch(e164);
  return international === undefined || given.includes(international) ? [given] : [given, international];
}

// How the dashboard shows a document id ("CC 123.456.789" in Spanish, "ID …" in English), and
// how people say one on the phone ("C.C.", "NIT"): the prefix is not part of the stored id.
const DOCUMENT_PREFIX = /^(?:c\.?c\.?|nit|id)[ .:#-]*(?=\d)/;
// Grouping left at either end of a term once trimmed: "-001" must find "2024-001" (stored "2024001").
const EDGE_GROUPING = /^[ .\-/]+(?=\d)|(?<=\d)[ .\-/]+$/g;

/**
 * A search term as typed into the dashboard, in the form the stored text is in: trimmed,
 * folded like it, without a leading document prefix or grouping at its ends. Every event whose
 * searchText contains the result is a match. '' when nothing is left to search for.
 */
export function searchTerm(typed: string): string {
  return withoutDiallingPrefix(normalizeSearch(typed.trim()).replace(DOCUMENT_PREFIX, '').replace(EDGE_GROUPING, ''));
}

/** "0057 300 123 4567", dialled from Colombia: a phone's E.164 digits are stored, without the 00. */
function withoutDiallingPrefix(term: string): string {
  if (!/^00\d+$/.test(term)) return term;
  return toE164OrUndefined(`+${term.slice(2)}`)?.slice(1) ?? term;
}

/**
 * What a migration that refolds stored events' search text says before it starts: the start of
 * a large store waits for it (about a minute a million events, bench/README.md), and an
 * operator should know the wait is work, not a hang.
 */
export function refoldingNotice(migration: string, events: number): string {
  return (
    `webpig: migration ${migration}: folding the search text of ${events} stored event${events === 1 ? '' : 's'} ` +
    `(about a minute a million); webpig goes on when it is done, and a stopped run resumes where it was`
  );
}
