import type { JsonValue } from './types.js';

/**
 * Secrets out of what people see: an event's raw payload on the dashboard, and the HTTP calls
 * stages record (`ctx.http`). Signatures, keys, tokens, passwords, cookies and card data are
 * replaced by `[redacted]` wherever their name says what they are (ePayco's `x_signature`,
 * Stripe's `client_secret`, MercadoPago's `card`, an `Authorization` header...).
 * Over-redacting a harmless field is acceptable; leaking one secret is not.
 */

export const REDACTED = '[redacted]';

const SECRET_NAME = /secret|key|signature|sign$|password|passwd|pwd|token|authorization|cookie|cvv|cvc|card|pan$|pin$|otp|credential/i;
/** Names that look secret but are not, and that people need to see (the stage's idempotency key). */
const NOT_SECRET = new Set(['idempotency-key', 'idempotency_key', 'idempotencykey']);
/** A bare 13–19 digit number is treated as a card number wherever it appears. */
const CARD_NUMBER = /^\d{13,19}$/;

/** Names seen so far and whether each is secret: the same few dozen names come again and again. */
const secretNames = new Map<string, boolean>();
const SECRET_NAMES_KEPT = 10_000;

export function isSecretName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name) && !NOT_SECRET.has(name.toLowerCase());
    if (secretNames.size < SECRET_NAMES_KEPT) secretNames.set(name, secret);
  }
  return secret;
}

function isCardNumber(text: string): boolean {
  if (text.length < 13) return false;
  // Without its spaces and dashes a card number is all digits, so it starts with a digit, a
  // space or a dash: most strings (names, e-mails, references) are told apart by their first
  // character, without copying them first. Anything else not ASCII may be a Unicode space.
  const first = text.charCodeAt(0);
  const digitSpaceOrDash = (first >= 0x30 && first <= 0x39) || first === 0x2d || first === 0x20 || (first >= 0x09 && first <= 0x0d);
  if (!digitSpaceOrDash && first < 0x80) return false;
  return CARD_NUMBER.test(text.replace(/[\s-]/g, ''));
}

export function redactJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [name, inner] of Object.entries(value)) out[name] = isSecretName(name) ? REDACTED : redactJson(inner);
    return out;
  }
  if (typeof value === 'string' && isCardNumber(value)) return REDACTED;
  return value;
}

/**
 * `JSON.stringify(redactJson(value), null, 2)` in one pass: the replacer redacts as the text is
 * printed, without building the redacted copy first (the stage recorder prints two bodies a
 * recorded HTTP call).
 */
export function redactedJsonText(value: JsonValue): string {
  // Most bodies hold nothing to redact. A walk that only reads finds that, and they are printed
  // without a replacer, which JSON.stringify calls back into JS for every key and value (the
  // recorder's bodies were ~2 % of the demo's CPU, most of it in those calls).
  return holdsSecrets(value) ? JSON.stringify(value, redactingReplacer, 2) : JSON.stringify(value, null, 2);
}

/**
 * Whether redactingReplacer would change anything in `value`: a secret name as an object's key,
 * or a string that reads as a card number. A value with its own `toJSON` is printed as that
 * prints it, which this walk cannot see: it goes through the replacer.
 */
function holdsSecrets(value: JsonValue): boolean {
  if (typeof value === 'string') return isCardNumber(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(holdsSecrets);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const name of Object.keys(value)) {
    if (isSecretName(name) || holdsSecrets(value[name]!)) return true;
  }
  return false;
}

function redactingReplacer(this: unknown, name: string, value: unknown): unknown {
  // Array items come with their index as the name; only an object's keys are names.
  if (name !== '' && !Array.isArray(this) && isSecretName(name)) return REDACTED;
  if (typeof value === 'string' && isCardNumber(value)) return REDACTED;
  return value;
}

/**
 * Redacts a body as text: JSON field by field (pretty-printed), form-encoded bodies parameter
 * by parameter, anything else line by line on `name=value` and `"name": value` patterns.
 */
export function redactBodyText(text: string, contentType: string | null): string {
  const type = (contentType ?? '').toLowerCase();
  const trimmed = text.trimStart();
  if (type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return redactedJsonText(JSON.parse(text) as JsonValue);
    } catch {
      // Not valid JSON after all: fall through to the textual redaction.
    }
  }
  if (type.includes('x-www-form-urlencoded')) {
    const params = new URLSearchParams(text);
    const out = new URLSearchParams();
    for (const [name, value] of params) {
      out.append(name, isSecretName(name) || CARD_NUMBER.test(value) ? REDACTED : value);
    }
    return out.toString();
  }
  return redactText(text);
}

/** The exact bytes a provider sent, redacted as text (see redactBodyText). */
export function redactRawBody(rawBody: Buffer, contentType: string | null): string {
  return redactBodyText(rawBody.toString('utf8'), contentType);
}

/**
 * Redacts text of any shape without reformatting it: `"name": value` and `name=value` pairs
 * whose name reads as a secret, and 13–19 digit runs (card numbers). The rest stays byte for
 * byte, so a cut excerpt (a refused delivery's first bytes) is still what was sent.
 */
export function redactText(text: string): string {
  return (
    text
      // A bare value never starts with { or [: an object's or array's own pairs are matched apart.
      .replace(/("([^"\\]*)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,{}[\]\s"][^,}\]\s]*)/g, (whole, prefix: string, name: string) =>
        isSecretName(name) ? `${prefix}"${REDACTED}"` : whole,
      )
      .replace(/(^|[&\s?;])([\w.-]+)=([^&\s;]*)/g, (whole, lead: string, name: string) =>
        isSecretName(name) ? `${lead}${name}=${REDACTED}` : whole,
      )
      .replace(/\b\d{13,19}\b/g, REDACTED)
  );
}

/** A URL with secret-named query parameters and any user:password part redacted. */
export function redactUrl(url: string): string {
  // Secrets in a URL sit in its query's names or its user:password part; a URL with neither
  // is kept as it is, without building a URL and its search params and printing them again
  // (the stage recorder redacts a URL every HTTP call).
  if (!url.includes('@') && !hasSecretQueryName(url) && URL.canParse(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  if (parsed.password) parsed.password = REDACTED;
  for (const name of [...new Set(parsed.searchParams.keys())]) {
    if (isSecretName(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.toString();
}

/**
 * A database URL for a message or a log line: its password replaced by `***` wherever libpq
 * takes one, the user:password part and the query (`?password=…`, `sslpassword`, `sslkey`).
 */
export function redactDatabaseUrl(url: string): string {
  return redactUrl(url).replaceAll(encodeURIComponent(REDACTED), '***');
}

/** Whether a query parameter's name (decoded) reads as a secret's; one that cannot be decoded counts. */
function hasSecretQueryName(url: string): boolean {
  const start = url.indexOf('?');
  if (start < 0) return false;
  const end = url.indexOf('#', start);
  for (const pair of url.slice(start + 1, end < 0 ? undefined : end).split('&')) {
    const eq = pair.indexOf('=');
    let name: string;
    try {
      name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
    } catch {
      return true;
    }
    if (isSecretName(name)) return true;
  }
  return false;
}

/** Headers with secret-named ones (Authorization, Cookie, X-Api-Key, signatures) redacted. */
export function redactHeaders(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    out[key] = redactedHeaderValue(key, value);
  }
  return out;
}

/** One header's value as shown: `[redacted]` when its lower-cased name reads as a secret's. */
export function redactedHeaderValue(lowerCasedName: string, value: string): string {
  return isSecretName(lowerCasedName) || lowerCasedName === 'set-cookie' ? REDACTED : value;
}
