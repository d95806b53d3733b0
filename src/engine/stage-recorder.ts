/**
 * What a stage reports about one attempt, for the dashboard's stage panel: the HTTP calls it
 * made (`ctx.http`) and its log lines (`ctx.log`). Everything is redacted and capped here, in
 * memory, before the engine writes it with the attempt's outcome: a secret never reaches the
 * database, and a chatty stage cannot grow an event without bound.
 */
import type { HttpExchangeInput, StageHttp } from '../core/pipeline.js';
import { redactBodyText, redactedHeaderValue, redactedJsonText, redactJson, redactUrl } from '../core/redaction.js';
import type { EventLogEntry, HttpExchange, HttpMessage, JsonObject, JsonValue } from '../core/types.js';

/** How much of one attempt is kept. */
export const STAGE_RECORD_LIMITS = {
  /** Characters of each request or response body; the rest is cut and marked truncated. (Default: 16 384) */
  bodyChars: 16_384,
  /** Characters of each header value. (Default: 1 000) */
  headerChars: 1_000,
  /** HTTP calls recorded per attempt; later ones are counted in a log line. (Default: 20) */
  exchangesPerAttempt: 20,
  /** Log lines kept per attempt; later ones are counted in a last line. (Default: 100) */
  logLinesPerAttempt: 100,
  /** Characters of one log message. (Default: 2 000) */
  logMessageChars: 2_000,
} as const;

const TRUNCATED_MARK = '… [truncated]';

/** A body as stored: redacted first (a cut JSON could no longer be parsed), then capped. */
function storedBody(body: string | JsonValue | undefined, contentType: string | null): string | null {
  const redacted = redactedBody(body, contentType);
  if (redacted === null || redacted.length <= STAGE_RECORD_LIMITS.bodyChars) return redacted;
  return redacted.slice(0, STAGE_RECORD_LIMITS.bodyChars) + TRUNCATED_MARK;
}

/** Whether storedBody cut `stored` (only a cut body is longer than the cap). */
function truncated(stored: string | null): boolean {
  return stored !== null && stored.length > STAGE_RECORD_LIMITS.bodyChars;
}

/**
 * A JSON object or array given as a value (ctx.http.record) is redacted as it is and printed
 * once, as redactBodyText prints a JSON text: the same stored text without serializing the
 * value only to parse it again.
 */
function redactedBody(body: string | JsonValue | undefined, contentType: string | null): string | null {
  if (body === undefined || body === null || body === '') return null;
  if (typeof body === 'object') return redactedJsonText(body);
  return redactBodyText(typeof body === 'string' ? body : JSON.stringify(body), contentType);
}

/**
 * Headers as stored (redactHeaders, then each value capped), read straight off the caller's
 * object, and the first content-type among them (any case): it says how a body text is read.
 * Before, a recorded call's headers were copied into entry arrays and walked twice.
 */
function storedHeaders(headers: Record<string, string> | undefined): { headers: Record<string, string>; contentType: string | null } {
  const out: Record<string, string> = {};
  let contentType: string | null = null;
  if (headers === undefined) return { headers: out, contentType };
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    const key = name.toLowerCase();
    if (contentType === null && key === 'content-type') contentType = value;
    const kept = redactedHeaderValue(key, value);
    out[key] = kept.length > STAGE_RECORD_LIMITS.headerChars ? kept.slice(0, STAGE_RECORD_LIMITS.headerChars) + TRUNCATED_MARK : kept;
  }
  return { headers: out, contentType };
}

/** The text of a fetch() body, or a note saying what it was when it is not text. */
function requestBodyText(body: RequestInit['body']): string | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    const bytes = body instanceof ArrayBuffer ? new Uint8Array(body) : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return new TextDecoder().decode(bytes);
  }
  return `[body not recorded: ${Object.prototype.toString.call(body).slice(8, -1)}]`;
}

export interface StageRecorder {
  http: StageHttp;
  /** Adds a log line (capped) and says whether it was kept. */
  addLog(entry: EventLogEntry): boolean;
  exchanges(): HttpExchange[];
  /** The kept lines, plus one saying how many were left out, if any. */
  logs(): EventLogEntry[];
}

export function createStageRecorder(options: { stage: string; attempt: number; now: () => Date }): StageRecorder {
  return new AttemptRecorder(options.stage, options.attempt, options.now);
}

/**
 * One attempt's recorder. A class with its work on the prototype: the closure-built recorder
 * made a dozen functions for every attempt that touched `ctx.http` or `ctx.log`, and a Facturador
 * attempt records one or two calls. `http` keeps its two functions as own properties, so a stage
 * may still take `record` or `fetch` apart from `ctx.http`.
 */
class AttemptRecorder implements StageRecorder {
  readonly http: StageHttp;
  private readonly kept: HttpExchange[] = [];
  private readonly lines: EventLogEntry[] = [];
  private droppedExchanges = 0;
  private droppedLines = 0;

  constructor(
    private readonly stage: string,
    private readonly attempt: number,
    private readonly now: () => Date,
  ) {
    // Bound, not arrows: the same two functions, without a name defined on each (tsx's keepNames does that to every arrow).
    this.http = { fetch: this.recordingFetch.bind(this), record: this.record.bind(this) };
  }

  record(input: HttpExchangeInput): void {
    const { request, response } = input;
    const sent = storedHeaders(request.headers);
    const sentBody = storedBody(request.body, sent.contentType);
    let reply: (HttpMessage & { status: number }) | null = null;
    if (response) {
      const got = storedHeaders(response.headers);
      const gotBody = storedBody(response.body, got.contentType);
      reply = { status: response.status, headers: got.headers, body: gotBody, bodyTruncated: truncated(gotBody) };
    }
    this.keep({
      at: this.now(),
      request: {
        method: request.method.toUpperCase(),
        url: redactUrl(request.url),
        headers: sent.headers,
        body: sentBody,
        bodyTruncated: truncated(sentBody),
      },
      response: reply,
      error: input.error ?? null,
      durationMs: input.durationMs ?? null,
    });
  }

  addLog(entry: EventLogEntry): boolean {
    if (this.lines.length >= STAGE_RECORD_LIMITS.logLinesPerAttempt) {
      this.droppedLines++;
      return false;
    }
    const message =
      entry.message.length > STAGE_RECORD_LIMITS.logMessageChars
        ? entry.message.slice(0, STAGE_RECORD_LIMITS.logMessageChars) + TRUNCATED_MARK
        : entry.message;
    this.lines.push({ ...entry, attempt: this.attempt, message, fields: entry.fields ? (redactJson(entry.fields) as JsonObject) : null });
    return true;
  }

  exchanges(): HttpExchange[] {
    return this.kept;
  }

  logs(): EventLogEntry[] {
    const notes: string[] = [];
    if (this.droppedLines > 0)
      notes.push(`${this.droppedLines} more log lines were not stored (limit ${STAGE_RECORD_LIMITS.logLinesPerAttempt} per attempt)`);
    if (this.droppedExchanges > 0) {
      notes.push(`${this.droppedExchanges} more HTTP calls were not stored (limit ${STAGE_RECORD_LIMITS.exchangesPerAttempt} per attempt)`);
    }
    const extra = notes.map((message): EventLogEntry => ({
      at: this.now(),
      level: 'warn',
      stage: this.stage,
      attempt: this.attempt,
      message,
      fields: null,
    }));
    return [...this.lines, ...extra];
  }

  private keep(exchange: HttpExchange): void {
    if (this.kept.length < STAGE_RECORD_LIMITS.exchangesPerAttempt) this.kept.push(exchange);
    else this.droppedExchanges++;
  }

  private async recordingFetch(target: string | URL, init: RequestInit = {}): Promise<Response> {
    const started = this.now();
    const request = {
      method: (init.method ?? 'GET').toUpperCase(),
      url: String(target),
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: requestBodyText(init.body) ?? undefined,
    };
    const elapsed = (): number => this.now().getTime() - started.getTime();
    let response: Response;
    try {
      response = await fetch(target, init);
    } catch (err) {
      this.record({ request, error: err instanceof Error ? err.message : String(err), durationMs: elapsed() });
      throw err;
    }
    // A clone is read here, so the stage reads its own response exactly as with fetch().
    let text: string;
    try {
      text = await response.clone().text();
    } catch {
      text = '[body could not be read]';
    }
    this.record({
      request,
      response: { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: text },
      durationMs: elapsed(),
    });
    return response;
  }
}
