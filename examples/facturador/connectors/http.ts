import type { z } from 'zod';
import { HttpCallError, RetriableError, type JsonValue, type StageContext } from '../../../src/index.js';
import type { ServiceEndpoint } from '../config.js';

/**
 * What a connector needs of the stage calling it: the stage's signal (its timeout, shutdown)
 * and its recording fetch, so each call shows in the dashboard's stage panel (tokens redacted).
 */
export type StageIo = Pick<StageContext, 'signal' | 'http'>;

export interface CallOptions<S extends z.ZodType> {
  service: string;
  endpoint: ServiceEndpoint;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: JsonValue;
  /** The calling stage (its context): its signal and its recording fetch. */
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
  let response: Response;
  try {
    response = await options.io.http.fetch(`${options.endpoint.baseUrl}${options.path}`, {
      method: options.method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: options.io.signal,
    });
  } catch (err) {
    // The stage's own timeout or shutdown: let the engine see its abort as it is.
    if (options.io.signal.aborted) throw err;
    throw new RetriableError(`${options.service}: ${what} failed before any reply`, { cause: err, code: 'NETWORK' });
  }
  const text = await response.text();
  if (!response.ok && !options.accept?.includes(response.status)) {
    const retryAfter = Number(response.headers.get('retry-after'));
    // The engine classifies it: 5xx, 408, 409, 429 are retriable; other 4xx are permanent.
    const detail = errorDetail(text);
    throw new HttpCallError(response.status, `${options.service}: ${what} answered ${response.status}${detail ? `: ${detail}` : ''}`, {
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    });
  }
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch (err) {
    throw new RetriableError(`${options.service}: ${what} answered ${response.status} with a body that is not JSON`, {
      cause: err,
      code: 'BAD_REPLY',
    });
  }
  const parsed = options.schema.safeParse(json);
  if (!parsed.success) {
    throw new RetriableError(`${options.service}: ${what} answered an unexpected body: ${parsed.error.issues[0]?.message ?? ''}`, {
      code: 'BAD_REPLY',
    });
  }
  return { status: response.status, body: parsed.data };
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
