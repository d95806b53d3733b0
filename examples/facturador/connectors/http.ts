import type { z } from 'zod';
import { httpCall, HttpCallError, RetriableError, type HttpCallReply, type JsonValue, type StageContext } from '../../../src/index.js';
import type { ServiceEndpoint } from '../config.js';

/**
 * What a connector needs of the stage calling it: the stage's signal (its timeout, shutdown)
 * and its recorder, so each call shows in the dashboard's stage panel (tokens redacted). The
 * calls themselves go over `httpCall` (keep-alive undici dispatcher, src/core/http-call.ts), not
 * the recording fetch: it cost about 0.5 ms of CPU a call, this about 0.05 ms (bench/http-client.ts),
 * and the demo makes about a dozen an event.
 */
export type StageIo = Pick<StageContext, 'signal' | 'http'>;

export interface CallOptions<S extends z.ZodType> {
  service: string;
  endpoint: ServiceEndpoint;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: JsonValue;
  /** The calling stage (its context): its signal and its recorder (ctx.http.record). */
  io: StageIo;
  /** Sent as `Idempotency-Key` (only to services that honour it). */
  idempotencyKey?: string;
  /** Non-2xx statuses that are answers, not failures (e.g. 409 "already accounted"). */
  accept?: number[];
  /** Shape of the reply body; a reply that does not match is a retriable error. */
  schema: S;
}

export interface CallResult<T> {
  status: number;
  body: T;
}

export async function callService<S extends z.ZodType>(options: CallOptions<S>): Promise<CallResult<z.infer<S>>> {
  const what = `${options.method} ${options.path.split('?')[0]}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.endpoint.token) headers.authorization = `Bearer ${options.endpoint.token}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  const url = `${options.endpoint.baseUrl}${options.path}`;
  // The body as the stage panel shows it: the value itself, so it is redacted without a re-parse.
  const request = { method: options.method, url, headers, ...(options.body === undefined ? {} : { body: options.body }) };
  const started = performance.now();
  let reply: HttpCallReply;
  try {
    reply = await httpCall(url, {
      method: options.method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: options.io.signal,
    });
  } catch (err) {
    options.io.http.record({ request, error: err instanceof Error ? err.message : String(err), durationMs: elapsedSince(started) });
    // The stage's own timeout or shutdown: let the engine see its abort as it is.
    if (options.io.signal.aborted) throw err;
    throw new RetriableError(`${options.service}: ${what} failed before any reply`, { cause: err, code: 'NETWORK' });
  }
  const { status, text } = reply;
  const json = parseJson(text);
  options.io.http.record({
    request,
    // Parsed once, here: the recorder redacts the value (a body that is not JSON, as text).
    response: {
      status,
      headers: reply.headers,
      body: json.ok && json.value !== null && typeof json.value === 'object' ? json.value : text,
    },
    durationMs: elapsedSince(started),
  });
  const ok = status >= 200 && status < 300;
  if (!ok && !options.accept?.includes(status)) {
    const retryAfter = Number(reply.headers['retry-after']);
    // The engine classifies it: 5xx, 408, 409, 429 are retriable; other 4xx are permanent.
    const detail = errorDetail(text);
    throw new HttpCallError(status, `${options.service}: ${what} answered ${status}${detail ? `: ${detail}` : ''}`, {
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    });
  }
  if (!json.ok) {
    throw new RetriableError(`${options.service}: ${what} answered ${status} with a body that is not JSON`, {
      cause: json.error,
      code: 'BAD_REPLY',
    });
  }
  const parsed = options.schema.safeParse(json.value);
  if (!parsed.success) {
    throw new RetriableError(`${options.service}: ${what} answered an unexpected body: ${parsed.error.issues[0]?.message ?? ''}`, {
      code: 'BAD_REPLY',
    });
  }
  return { status, body: parsed.data };
}

function elapsedSince(started: number): number {
  return Math.round(performance.now() - started);
}

/** An empty body is `null`, as before; a body that is not JSON is kept as the error. */
function parseJson(text: string): { ok: true; value: JsonValue } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: text === '' ? null : (JSON.parse(text) as JsonValue) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The service's own error message, short, for the checkpoint's error. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === 'object' ? body.error?.message : (body.error ?? body.message);
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300);
}
