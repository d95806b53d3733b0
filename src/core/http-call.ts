import type { IncomingHttpHeaders } from 'node:http';
import { Agent, errors, type Dispatcher } from 'undici';

/**
 * One HTTP call over undici's dispatcher (the client Node's own fetch is built on), with
 * connections kept open between calls, for code that calls the same few hosts over and over
 * (the Facturador's connectors, ingestion's ePayco validation). Measured on loopback calls
 * (bench/http-client.ts), a call here cost about half the client CPU of the trimmed node:http
 * call it replaced (the global fetch() had cost about 0.5 ms a call in the demo: WHATWG Request,
 * Headers and streams). It follows no redirect and asks for no compression: the reply is the
 * service's own answer, as text. One difference from node:http: a `100 Continue` the request did
 * not ask for fails the call (undici's parser refuses it); other informational replies are skipped.
 *
 * The caller's signal is the call's only deadline, as with node:http: undici's own timeouts
 * (connect 10 s, headers and body 300 s) are off.
 */
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 0 } });

export interface HttpCallRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface HttpCallReply {
  status: number;
  /** Names in lower case; a repeated header's values joined with ", " (as fetch's Headers do). */
  headers: Record<string, string>;
  /** The body decoded as UTF-8 (a byte-order mark kept, as Buffer#toString does). */
  text: string;
}

/**
 * Sends one request and reads the whole reply; rejects on a network failure, on a connection
 * closed before the whole reply came, or on `signal` with an AbortError whose cause is the
 * signal's reason (as node:http's own `signal` option).
 *
 * A dispatch handler rather than undici's `request()`: the reply's chunks are kept as they come
 * and decoded once, with no stream for the body. Credentials in the URL go as a basic
 * Authorization header unless the caller sent one (as node:http's `auth` option).
 */
export function httpCall(url: string, request: HttpCallRequest): Promise<HttpCallReply> {
  const target = new URL(url);
  const { signal } = request;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const call = new ReplyCollector(signal, resolve, reject);
    dispatcher.dispatch(
      {
        origin: target.origin,
        path: target.pathname + target.search,
        method: request.method as Dispatcher.HttpMethod,
        headers: withUrlCredentials(request.headers, target),
        body: request.body ?? null,
      },
      call,
    );
  });
}

/** Collects one reply, and settles the call once: on its end, its error, or the signal's abort. */
class ReplyCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: Record<string, string> = {};
  private readonly chunks: Buffer[] = [];
  private settled = false;
  private readonly onAbort = (): void => {
    const error = abortError(this.signal);
    this.controller?.abort(error);
    this.fail(error);
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolve: (reply: HttpCallReply) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while the request waited for a connection: it is never written.
    if (this.settled) controller.abort(abortError(this.signal));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // An informational reply (1xx) is not the answer: the final one follows on the same request.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = flatHeaders(headers);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settle()) {
      const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
      this.resolve({ status: this.status, headers: this.headers, text: body.toString('utf8') });
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(closedByPeer(error) ? connectionClosed(this.status === 0, error) : error);
  }

  private fail(error: unknown): void {
    if (this.settle()) this.reject(error);
  }

  /** True the first time only: the call settles once, and stops listening to the signal. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
    return true;
  }
}

/** What node:http's `signal` option rejects with: an AbortError carrying the signal's reason. */
function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** undici's word for a connection the server closed before the reply was whole. */
function closedByPeer(error: Error): boolean {
  return error instanceof errors.SocketError && (error.message === 'other side closed' || error.message === 'closed');
}

/**
 * The error node:http gave for a connection closed before the reply was whole, which the stage
 * panel and the ePayco validation show: "socket hang up" before any reply, "aborted" during one,
 * both ECONNRESET; undici's own error is its cause.
 */
function connectionClosed(beforeReply: boolean, cause: Error): Error {
  return Object.assign(new Error(beforeReply ? 'socket hang up' : 'aborted', { cause }), { code: 'ECONNRESET' });
}

/** The caller's headers, plus a basic Authorization header from `user:password@` in the URL. */
function withUrlCredentials(headers: Record<string, string>, target: URL): Record<string, string> {
  if (!target.username && !target.password) return headers;
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers;
  const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  return { ...headers, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** undici's parsed headers (names lower-cased, a repeated one as a list) as one record of text. */
function flatHeaders(parsed: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
