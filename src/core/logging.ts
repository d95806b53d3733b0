/**
 * What webpig's process logs may carry. Deliveries hold personal data (names, e-mails,
 * document ids, phones) and signatures; the event itself keeps them (shown, access-controlled,
 * on the dashboard), the process log must not: logs travel to aggregators, tickets and chats.
 *
 * - Requests are logged as method + path: never the query string (ePayco confirmations and
 *   MercadoPago notifications arrive as GET parameters), never headers or bodies.
 * - Fields named like payloads, bodies or personal data are censored (top level and one object down).
 * - Every string that reaches a log line (message, fields, error messages and stacks) has
 *   e-mail addresses, long digit runs (document ids, phones, card numbers) and the input
 *   snippet of JSON parse errors masked, since an error can echo the payload that caused it.
 */
import type { LoggerOptions } from 'pino';

const CENSOR = '[redacted]';

/**
 * Keys whose values are written as `[redacted]`, at the top level of a log line and one plain
 * object down (a stage's fields). Checked in `formatters.log` rather than with pino's wildcard
 * `redact` paths, which cost three times as much per line.
 */
const SENSITIVE_KEYS = new Set([
  'authorization',
  'cookie',
  'headers',
  'query',
  'body',
  'rawBody',
  'payload',
  'summary',
  'customer',
  'email',
  'phone',
  'documentId',
  'document',
  'signature',
  'secret',
  'password',
  'token',
]);

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// Cédulas, NITs, phones and cards: seven digits or more in a row, dotted thousands
// (1.020.304.050), or groups of three and four (+57 300 123 4567, 300-123-4567). Times
// (2026-01-15T12:00:00Z), ports and ordinary ids stay readable.
const LONG_NUMBER = /\+?\d{7,}|\d{1,3}(?:\.\d{3}){2,}|\+?\d{1,3}(?:[ -]\d{3,4}){2,}/g;
// Node's JSON.parse errors quote the input: `Unexpected token 'a', ..." "email": ana.pe"... is not valid JSON`.
const JSON_SNIPPET = /, \S.* is not valid JSON/gs;

/** Masks what may be personal data or a secret in a free-text string. */
export function scrubLogText(text: string): string {
  return text.replace(JSON_SNIPPET, ', "…" is not valid JSON').replace(EMAIL, '[email]').replace(LONG_NUMBER, '[number]');
}

/** A URL as logs may show it: the path, without the query string or fragment. */
export function pathOnly(url: string | undefined): string {
  const path = (url ?? '').split(/[?#]/, 1)[0] ?? '';
  return scrubLogText(path);
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
}

interface ErrorLike {
  name?: string;
  message?: string;
  stack?: string;
  code?: unknown;
  statusCode?: unknown;
}

function serializeRequest(request: RequestLike): Record<string, unknown> {
  return { method: request.method, path: pathOnly(request.url), remoteAddress: request.ip ?? request.socket?.remoteAddress };
}

function serializeError(err: ErrorLike | string): Record<string, unknown> | string {
  if (typeof err !== 'object' || err === null) return scrubLogText(String(err));
  const out: Record<string, unknown> = { type: err.name, message: scrubLogText(String(err.message ?? '')) };
  if (typeof err.code === 'string') out.code = err.code;
  if (typeof err.statusCode === 'number') out.statusCode = err.statusCode;
  if (typeof err.stack === 'string') out.stack = scrubLogText(err.stack);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function scrubValue(key: string, value: unknown, depth: number): unknown {
  if (SENSITIVE_KEYS.has(key)) return CENSOR;
  if (typeof value === 'string') return scrubLogText(value);
  // Class instances (a request, an Error) are left to their serializers.
  if (depth > 0 && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubValue(k, v, depth - 1);
    return out;
  }
  return value;
}

function scrubFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = scrubValue(key, value, 1);
  return out;
}

/**
 * pino options for every webpig logger (server, worker, alert forwarder). Fastify's own
 * request serializer logs the full URL; this one is used instead.
 */
export function loggerOptions(level: string, name?: string): LoggerOptions {
  return {
    level,
    ...(name ? { name } : {}),
    serializers: { req: serializeRequest, err: serializeError, error: serializeError },
    formatters: { log: scrubFields },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubLogText(arg) : arg)) as Parameters<typeof method>);
      },
    },
  };
}
