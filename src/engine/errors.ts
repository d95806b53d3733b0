/**
 * How the engine decides whether a failed stage is worth another attempt.
 *
 * Retriable: `RetriableError`, network failures (connection refused/reset, DNS, `fetch failed`),
 * a stage timeout, HTTP 5xx, 429 (rate limit) and 409 (the receiver holds a lock). Anything
 * unknown is retriable too: a bug fixed by a deploy should not have killed the event for good,
 * and the retry budget still ends in `dead`.
 * Permanent: `PermanentError` and every other HTTP 4xx (the request itself is wrong).
 */
import { isWebpigError, type RetriableError, WebpigError } from '../core/errors.js';
import type { ErrorInfo } from '../core/types.js';

/**
 * Thrown by connectors when an HTTP call answers with a non-2xx status. The engine reads
 * `status` (and `retryAfterMs`, from a Retry-After header) to classify it.
 */
export class HttpCallError extends WebpigError {
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, options?: { cause?: unknown; code?: string; retryAfterMs?: number }) {
    super(options?.code ?? `HTTP_${status}`, message, options);
    this.status = status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * A Retry-After header as milliseconds to wait: delta-seconds (`120`) or an HTTP date. Undefined
 * for a missing, malformed or past value. For connectors building an HttpCallError:
 * `new HttpCallError(res.status, msg, { retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) })`.
 */
export function parseRetryAfter(header: string | null | undefined, now: Date = new Date()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) {
    const ms = Number(value) * 1000;
    return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const ms = at - now.getTime();
  return ms > 0 ? ms : undefined;
}

/** The stage ran longer than its `timeoutMs`; its signal was aborted. Retriable. */
export class StageTimeoutError extends WebpigError {
  constructor(stage: string, timeoutMs: number) {
    super('STAGE_TIMEOUT', `stage "${stage}" did not finish within ${timeoutMs} ms`);
  }
}

/** The worker is shutting down and aborted the stage. Retriable (another run resumes it). */
export class ShutdownError extends WebpigError {
  constructor() {
    super('WORKER_SHUTDOWN', 'the worker was stopped while the stage ran');
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function isRetriableHttpStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 409 || status === 408;
}

/** The network code of an error or of any error in its `cause` chain (fetch wraps them). */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  return networkCode((err as { cause?: unknown }).cause, depth + 1);
}

/** Turns whatever a stage threw into the structured error stored in its checkpoint. */
export function classifyError(err: unknown): ErrorInfo {
  const message = err instanceof Error ? err.message : String(err);
  // By brand and class name, not instanceof: see isWebpigError.
  if (isWebpigError(err, 'HttpCallError')) {
    const { status } = err as HttpCallError;
    return { message, code: err.code, retriable: isRetriableHttpStatus(status), httpStatus: status };
  }
  if (isWebpigError(err, 'PermanentError')) return { message, code: err.code, retriable: false };
  if (isWebpigError(err)) return { message, code: err.code, retriable: true };
  const net = networkCode(err);
  if (net) return { message, code: net, retriable: true };
  if (err instanceof Error && err.name === 'AbortError') return { message, code: 'ABORTED', retriable: true };
  if (err instanceof TypeError && message === 'fetch failed') return { message, code: 'FETCH_FAILED', retriable: true };
  const code =
    err instanceof Error && typeof (err as { code?: unknown }).code === 'string' ? String((err as { code?: unknown }).code) : 'UNKNOWN';
  return { message, code, retriable: true };
}

/** The smallest delay the error itself asks for (Retry-After), if any. */
export function requestedRetryDelayMs(err: unknown): number | undefined {
  if (isWebpigError(err, 'RetriableError') || isWebpigError(err, 'HttpCallError')) {
    return (err as RetriableError | HttpCallError).retryAfterMs;
  }
  return undefined;
}
