import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JsonObject, JsonValue } from '../core/types.js';
import { parseExactJsonObject } from './body-decoding.js';
import { SourceError, type IncomingDelivery } from './source.js';

/**
 * Small, provider-neutral pieces the adapters share: reading headers and bodies strictly,
 * comparing MACs in constant time, and checking signed timestamps.
 */

/** A single header value; a header sent twice is ambiguous and refused. */
export function singleHeader(delivery: IncomingDelivery, name: string): string | undefined {
  const value = delivery.headers[name.toLowerCase()];
  if (Array.isArray(value)) {
    if (value.length > 1) throw new SourceError('MALFORMED_BODY', `header ${name} was sent more than once`);
    return value[0];
  }
  return value;
}

/** The media type of the delivery, lower case, without parameters ('' when absent). */
export function mediaType(delivery: IncomingDelivery): string {
  const header = singleHeader(delivery, 'content-type') ?? '';
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

export function requireMediaType(delivery: IncomingDelivery, accepted: readonly string[]): string {
  const type = mediaType(delivery);
  if (!accepted.includes(type)) {
    const got = type === '' ? 'no content type' : `content type ${type}`;
    throw new SourceError('UNSUPPORTED_MEDIA_TYPE', `expected ${accepted.join(' or ')}, got ${got}`);
  }
  return type;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SourceError('MALFORMED_BODY', `${what} is not valid UTF-8`);
  }
}

/**
 * Parses a JSON object body; anything else (array, scalar, bad syntax, nesting deeper than
 * MAX_JSON_DEPTH) is a 400. Integers beyond 2^53 are kept as their exact text (body-decoding.ts).
 */
export function parseJsonObject(bytes: Buffer): JsonObject {
  return parseExactJsonObject(bytes);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses `a=1&b=2` (form body or query string) into a flat record. A key sent twice is
 * refused: two values for one signed field would make "which one was signed" ambiguous.
 */
export function parseFormFields(text: string, what: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.prototype.hasOwnProperty.call(fields, key)) {
      throw new SourceError('MALFORMED_BODY', `${what}: field ${key} appears more than once`);
    }
    fields[key] = value;
  }
  return fields;
}

/** Follows a dot path (`data.object.id`) through nested objects. */
export function valueAtPath(root: JsonValue, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of path.split('.')) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** A string or number field as text, or undefined when absent or of another type. */
export function asText(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function hmacSha256(secret: string, content: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(content).digest();
}

/**
 * Constant-time comparison of a MAC we computed with the one that was sent (as text in
 * `encoding`). Lengths are compared first because timingSafeEqual needs equal lengths; the
 * length of a MAC is public, so that early return leaks nothing.
 *
 * The text must be the MAC's exact encoding: Buffer.from() silently drops a trailing odd hex
 * digit or stray base64 bits, which would let a signature with extra characters pass.
 */
export function macMatches(expected: Buffer, sentText: string, encoding: 'hex' | 'base64'): boolean {
  if (encoding === 'hex') {
    if (sentText.length !== expected.length * 2 || !/^[0-9a-fA-F]+$/.test(sentText)) return false;
  } else {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sentText)) return false;
    // Padding is optional; anything else must be the canonical encoding of the decoded bytes.
    const canonical = Buffer.from(sentText, 'base64').toString('base64');
    if (sentText !== canonical && sentText !== canonical.replace(/=+$/, '')) return false;
  }
  const sent = Buffer.from(sentText, encoding);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/** Reads a unix timestamp header: seconds, or milliseconds when above 1e12. */
export function parseUnixTimestamp(text: string, what: string): Date {
  if (!/^\d{1,16}$/.test(text.trim())) {
    throw new SourceError('SIGNATURE_INVALID', `${what} is not a unix timestamp`);
  }
  const value = Number(text.trim());
  return new Date(value > 1e12 ? value : value * 1000);
}

/** Refuses a signed time too far in the past (a replay) or the future (a forged clock). */
export function requireWithinTolerance(signedAt: Date, now: Date, toleranceSeconds: number): void {
  const skewSeconds = (now.getTime() - signedAt.getTime()) / 1000;
  if (skewSeconds > toleranceSeconds) {
    throw new SourceError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `the signed timestamp is ${Math.round(skewSeconds)} s old; at most ${toleranceSeconds} s is accepted`,
    );
  }
  if (-skewSeconds > toleranceSeconds) {
    throw new SourceError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `the signed timestamp is ${Math.round(-skewSeconds)} s in the future; at most ${toleranceSeconds} s is accepted`,
    );
  }
}

/** Parses an ISO-8601 string or unix seconds/milliseconds into a Date, or undefined. */
export function parseTime(value: JsonValue | undefined): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return new Date(value > 1e12 ? value : value * 1000);
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return undefined;
}

/** Keeps only the defined, non-empty string entries (summary objects stay small and clean). */
export function compact<T extends Record<string, string | undefined>>(record: T): Partial<Record<keyof T, string>> {
  const result: Partial<Record<keyof T, string>> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined && value.trim() !== '') result[key as keyof T] = value.trim();
  }
  return result;
}
