import type { NewEvent } from './store.js';

/**
 * Strings PostgreSQL cannot hold: `text` refuses U+0000, and `jsonb` refuses the escape
 * `\u0000` and unpaired surrogates (`\ud800`), which `JSON.stringify` writes for them. One
 * signed delivery carrying such a string (a customer name pasted from somewhere) would fail
 * its whole group commit, be answered 503 with every delivery batched beside it, and fail
 * again on each retry. Both stores therefore write them as U+FFFD (the replacement
 * character), so they read back the same; an event's raw body keeps its exact bytes.
 */

// In `u` mode a surrogate pair is one code point, so `\p{Surrogate}` matches only unpaired ones.
const NOT_STORABLE = /\0|\p{Surrogate}/u;
const NOT_STORABLE_ALL = /\0|\p{Surrogate}/gu;

/** `text` with U+0000 and unpaired surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return NOT_STORABLE.test(text) ? text.replace(NOT_STORABLE_ALL, '\uFFFD') : text;
}

/** Nullable variant of `storableText`. */
export function storableTextOrNull(text: string | null): string | null {
  return text === null ? null : storableText(text);
}

// In JSON.stringify's output a backslash is escaped as `\\`, so an escape starts at a
// backslash preceded by an even number of backslashes. JSON.stringify writes paired
// surrogates as the characters themselves: an escaped surrogate is always an unpaired one.
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

/** `JSON.stringify(value)` with the escapes of U+0000 and unpaired surrogates as U+FFFD. */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\u')) return json;
  return json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd');
}

/** The event's text fields made storable (its payload and summary go through storableJson). */
export function storableEvent(event: NewEvent): NewEvent {
  const providerEventId = storableText(event.providerEventId);
  const entityKey = event.entityKey === null ? null : storableText(event.entityKey);
  const type = storableText(event.type);
  const contentType = event.contentType === null ? null : storableText(event.contentType);
  const source = storableText(event.source);
  if (
    providerEventId === event.providerEventId &&
    entityKey === event.entityKey &&
    type === event.type &&
    contentType === event.contentType &&
    source === event.source
  ) {
    return event;
  }
  return { ...event, source, providerEventId, entityKey, type, contentType };
}
