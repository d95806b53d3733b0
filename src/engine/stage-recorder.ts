/**
 * What a stage reports about one attempt, for the dashboard's stage panel: the HTTP calls it
 * made (`ctx.http`) and its log lines (`ctx.log`). Everything is redacted and capped here, in
 * memory, before the engine writes it with the attempt's outcome: a secret never reaches the
 * database, and a chatty stage cannot grow an event without bound.
 */
import type { HttpExchangeInput, StageHttp } from '../core/pipeline.js';
import { redactBodyText, redactedJsonText, redactHeaders, redactJson, redactUrl } from '../core/redaction.js';
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
function storedBody(body: string | JsonValue | undefined, contentType: string | null): Pick<HttpMessage, 'body' | 'bodyTruncated'> {
  const redacted = redactedBody(body, contentType);
  if (redacted === null) return { body: null, bodyTruncated: false };
  if (redacted.length <= STAGE_RECORD_LIMITS.bodyChars) return { body: redacted, bodyTruncated: false };
  return { body: redacted.slice(0, STAGE_RECORD_LIMITS.bodyChars) + TRUNCATED_MARK, bodyTruncated: true };
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

function storedHeaders(headers: Iterable<[string, string]>): Record<string, string> {
  const out = redactHeaders(headers);
  for (const [name, value] of Object.entries(out)) {
    if (value.length > STAGE_RECORD_LIMITS.headerChars) out[name] = value.slice(0, STAGE_RECORD_LIMITS.headerChars) + TRUNCATED_MARK;
  }
  return out;
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
  const exchanges: HttpExchange[] = [];
  const lines: EventLogEntry[] = [];
  let droppedExchanges = 0;
  let droppedLines = 0;

  const keep = (exchange: HttpExchange): void => {
    if (exchanges.length < STAGE_RECORD_LIMITS.exchangesPerAttempt) exchanges.push(exchange);
    else droppedExchanges++;
  };

  const record = (input: HttpExchangeInput): void => {
    const requestHeaders = Object.entries(input.request.headers ?? {});
    const responseHeaders = Object.entries(input.response?.headers ?? {});
    const typeOf = (headers: Array<[string, string]>) => headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? null;
    keep({
      at: options.now(),
      request: {
        method: input.request.method.toUpperCase(),
        url: redactUrl(input.request.url),
        headers: storedHeaders(requestHeaders),
        ...storedBody(input.request.body, typeOf(requestHeaders)),
      },
      response: input.response
        ? {
            status: input.response.status,
            headers: storedHeaders(responseHeaders),
            ...storedBody(input.response.body, typeOf(responseHeaders)),
          }
        : null,
      error: input.error ?? null,
      durationMs: input.durationMs ?? null,
    });
  };

  const recordingFetch = async (target: string | URL, init: RequestInit = {}): Promise<Response> => {
    const started = options.now();
    const requestHeaders = [...new Headers(init.headers).entries()];
    const request = {
      method: (init.method ?? 'GET').toUpperCase(),
      url: String(target),
      headers: Object.fromEntries(requestHeaders),
      body: requestBodyText(init.body) ?? undefined,
    };
    const elapsed = () => options.now().getTime() - started.getTime();
    let response: Response;
    try {
      response = await fetch(target, init);
    } catch (err) {
      record({ request, error: err instanceof Error ? err.message : String(err), durationMs: elapsed() });
      throw err;
    }
    // A clone is read here, so the stage reads its own response exactly as with fetch().
    let text: string;
    try {
      text = await response.clone().text();
    } catch {
      text = '[body could not be read]';
    }
    record({
      request,
      response: { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: text },
      durationMs: elapsed(),
    });
    return response;
  };

  return {
    http: { fetch: recordingFetch, record },
    addLog(entry) {
      if (lines.length >= STAGE_RECORD_LIMITS.logLinesPerAttempt) {
        droppedLines++;
        return false;
      }
      const message =
        entry.message.length > STAGE_RECORD_LIMITS.logMessageChars
          ? entry.message.slice(0, STAGE_RECORD_LIMITS.logMessageChars) + TRUNCATED_MARK
          : entry.message;
      lines.push({ ...entry, attempt: options.attempt, message, fields: entry.fields ? (redactJson(entry.fields) as JsonObject) : null });
      return true;
    },
    exchanges: () => exchanges,
    logs() {
      const notes: string[] = [];
      if (droppedLines > 0)
        notes.push(`${droppedLines} more log lines were not stored (limit ${STAGE_RECORD_LIMITS.logLinesPerAttempt} per attempt)`);
      if (droppedExchanges > 0) {
        notes.push(`${droppedExchanges} more HTTP calls were not stored (limit ${STAGE_RECORD_LIMITS.exchangesPerAttempt} per attempt)`);
      }
      const extra = notes.map((message): EventLogEntry => ({
        at: options.now(),
        level: 'warn',
        stage: options.stage,
        attempt: options.attempt,
        message,
        fields: null,
      }));
      return [...lines, ...extra];
    },
  };
}
