import type { JsonValue } from '../../core/types.js';

/**
 * The raw-payload view of an event, with secrets removed: signatures, keys, tokens, passwords
 * and card data (ePayco's `x_signature`, Stripe's `client_secret`, MercadoPago's `card`...).
 * Over-redacting a harmless field is acceptable; leaking one secret is not.
 */

export const REDACTED = '[redacted]';

const SECRET_NAME = /secret|key|signature|sign$|password|passwd|pwd|token|authorization|cookie|cvv|cvc|card|pan$|pin$|otp/i;
/** A bare 13–19 digit number is treated as a card number wherever it appears. */
const CARD_NUMBER = /^\d{13,19}$/;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export function redactJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [name, inner] of Object.entries(value)) out[name] = isSecretName(name) ? REDACTED : redactJson(inner);
    return out;
  }
  if (typeof value === 'string' && CARD_NUMBER.test(value.replace(/[\s-]/g, ''))) return REDACTED;
  return value;
}

/**
 * Redacts the exact bytes a provider sent, as text: JSON is redacted field by field,
 * form-encoded bodies parameter by parameter, anything else line by line on `name=value`
 * and `"name": value` patterns.
 */
export function redactRawBody(rawBody: Buffer, contentType: string | null): string {
  const text = rawBody.toString('utf8');
  const type = (contentType ?? '').toLowerCase();
  const trimmed = text.trimStart();
  if (type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactJson(JSON.parse(text) as JsonValue), null, 2);
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

function redactText(text: string): string {
  return text
    .replace(/("([^"\\]*)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)/g, (whole, prefix: string, name: string) =>
      isSecretName(name) ? `${prefix}"${REDACTED}"` : whole,
    )
    .replace(/(^|[&\s?;])([\w.-]+)=([^&\s;]*)/g, (whole, lead: string, name: string) =>
      isSecretName(name) ? `${lead}${name}=${REDACTED}` : whole,
    )
    .replace(/\b\d{13,19}\b/g, REDACTED);
}
