import type { JsonObject } from '../core/types.js';
import { SourceError } from './source.js';

/**
 * Turning delivery bytes into values without losing or mangling anything a signature or an
 * identity depends on:
 *
 * - JSON nested deeper than MAX_JSON_DEPTH is refused with 400 before it is parsed. Deeper
 *   bodies overflowed the stack later (while storing) and got 503 on every retry, for days.
 * - JSON integers JavaScript cannot hold exactly (9007199254740993 reads as …992) are kept as
 *   their exact text, a string: two ids that differ past 2^53 stay two ids.
 * - Form bodies are decoded by their declared charset (UTF-8, ISO-8859-1/Latin-1,
 *   windows-1252); an undeclared body that is not valid UTF-8 is read as windows-1252 (a
 *   superset of Latin-1), because a 400 is never retried by a provider.
 */

/** Deepest nesting of objects and arrays accepted in a JSON body. Stripe's events use < 10. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Integers beyond this many digits may not survive JSON.parse; shorter ones always do. */
const SAFE_DIGITS = 15;

interface JsonScan {
  /** Byte ranges [start, end) of integer literals that JSON.parse would change. */
  inexactNumbers: Array<[number, number]>;
}

/**
 * One pass over the bytes (structural characters are ASCII, so UTF-8 needs no decoding):
 * refuses nesting deeper than MAX_JSON_DEPTH and finds the number literals that would not
 * survive JSON.parse exactly. Syntax errors are left to JSON.parse.
 */
export function scanJson(bytes: Buffer): JsonScan {
  const inexactNumbers: Array<[number, number]> = [];
  let depth = 0;
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i] as number;
    if (byte === QUOTE) {
      // Jump from quote to quote (indexOf is native); a quote after an odd run of backslashes is escaped.
      let end = bytes.indexOf(QUOTE, i + 1);
      while (end !== -1 && isEscaped(bytes, end)) end = bytes.indexOf(QUOTE, end + 1);
      i = end === -1 ? bytes.length : end + 1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
      if (depth > MAX_JSON_DEPTH) {
        throw new SourceError('MALFORMED_BODY', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
      }
      i++;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      i++;
    } else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
      const start = i;
      while (i < bytes.length && isNumberByte(bytes[i] as number)) i++;
      if (i - start > SAFE_DIGITS && !survivesParse(bytes.toString('latin1', start, i))) inexactNumbers.push([start, i]);
    } else {
      i++;
    }
  }
  return { inexactNumbers };
}

function isEscaped(bytes: Buffer, at: number): boolean {
  let backslashes = 0;
  while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

function isNumberByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2b || byte === 0x2e || byte === 0x45 || byte === 0x65;
}

/**
 * Whether JSON.parse gives back this integer exactly. Only integers are kept as text: they are
 * ids; a decimal (an amount) with more digits than a double holds is rounded as JSON.parse does.
 */
function survivesParse(literal: string): boolean {
  if (!/^-?\d+$/.test(literal)) return true;
  const value = Number(literal);
  return Number.isSafeInteger(value) && String(value) === literal.replace(/^(-?)0+(?=\d)/, '$1');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON object body (anything else is a 400), with inexact numbers kept as their
 * exact text. The body must be UTF-8, as RFC 8259 requires of JSON exchanged between systems.
 */
export function parseExactJsonObject(bytes: Buffer): JsonObject {
  const { inexactNumbers } = scanJson(bytes);
  let text: string;
  try {
    text = utf8.decode(quoteRanges(bytes, inexactNumbers));
  } catch {
    throw new SourceError('MALFORMED_BODY', 'the body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SourceError('MALFORMED_BODY', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SourceError('MALFORMED_BODY', 'the body must be a JSON object');
  }
  return parsed as JsonObject;
}

/** The bytes with each range wrapped in double quotes (number literals need no escaping). */
function quoteRanges(bytes: Buffer, ranges: ReadonlyArray<[number, number]>): Buffer {
  if (ranges.length === 0) return bytes;
  const parts: Buffer[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    parts.push(bytes.subarray(at, start), Buffer.from('"'), bytes.subarray(start, end), Buffer.from('"'));
    at = end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}

/** Charsets a form body may declare; the labels are those TextDecoder knows. */
const FORM_CHARSETS: Record<string, string> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'us-ascii': 'utf-8',
  ascii: 'utf-8',
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'latin-1': 'windows-1252',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
};

/** The charset parameter of a content type, lower case, or undefined when there is none. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  const match = (contentType ?? '').match(/;\s*charset\s*=\s*"?([^";\s]+)"?/i);
  return match?.[1]?.toLowerCase();
}

/**
 * Parses `a=1&b=2` bytes (a form body or a query string) into a flat record: `+` is a space,
 * `%XX` a byte, and each name and value is decoded by `charset` (undefined: UTF-8, falling
 * back to windows-1252 when the bytes are not valid UTF-8). A key sent twice is refused: two
 * values for one signed field would make "which one was signed" ambiguous.
 */
export function parseFormBytes(bytes: Buffer, charset: string | undefined, what: string): Record<string, string> {
  const label = charset === undefined ? undefined : FORM_CHARSETS[charset];
  if (charset !== undefined && label === undefined) {
    throw new SourceError('UNSUPPORTED_MEDIA_TYPE', `${what}: charset ${charset.slice(0, 40)} is not supported (use UTF-8 or ISO-8859-1)`);
  }
  const pairs: Array<[Buffer, Buffer]> = [];
  for (const part of splitBytes(bytes, 0x26)) {
    if (part.length === 0) continue;
    const eq = part.indexOf(0x3d);
    pairs.push(
      eq < 0 ? [percentDecode(part), Buffer.alloc(0)] : [percentDecode(part.subarray(0, eq)), percentDecode(part.subarray(eq + 1))],
    );
  }
  const decoder = new TextDecoder(label ?? 'utf-8', { fatal: true });
  // ASCII reads the same in every charset accepted here: printed directly, without a decoder
  // call for each name and value (an ePayco confirmation has ~40 of them).
  const text = (d: TextDecoder, b: Buffer): string => (isAscii(b) ? b.toString('latin1') : d.decode(b));
  const decodeAll = (d: TextDecoder): Array<[string, string]> => pairs.map(([k, v]) => [text(d, k), text(d, v)]);
  let decoded: Array<[string, string]>;
  try {
    decoded = decodeAll(decoder);
  } catch {
    if (label !== undefined) throw new SourceError('MALFORMED_BODY', `${what} is not valid ${charset ?? ''}`);
    decoded = decodeAll(new TextDecoder('windows-1252'));
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of decoded) {
    if (Object.prototype.hasOwnProperty.call(fields, key)) {
      throw new SourceError('MALFORMED_BODY', `${what}: field ${key.slice(0, 64)} appears more than once`);
    }
    fields[key] = value;
  }
  return fields;
}

function splitBytes(bytes: Buffer, separator: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === separator) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** `+` → space, `%XX` → that byte; a `%` not followed by two hex digits stays as it is. */
function percentDecode(bytes: Buffer): Buffer {
  if (bytes.indexOf(0x25) < 0 && bytes.indexOf(0x2b) < 0) return bytes;
  const out = Buffer.alloc(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x2b) {
      out[n++] = 0x20;
    } else if (byte === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[n++] = Number.parseInt(bytes.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else {
      out[n++] = byte;
    }
  }
  return out.subarray(0, n);
}

/** A loop, not node:buffer's isAscii: its native call cost more than these short names and values. */
function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}
