/**
 * The context a stage function receives, and the buffers that collect what it reports
 * (summary annotations, log lines) until the engine writes them with the stage's outcome.
 */
import type { Logger } from 'pino';
import type { StageContext, StageLogger } from '../core/pipeline.js';
import { checkSummaryPatch, mergeSummary } from '../core/summary.js';
import type { EventLogEntry, EventRecord, EventSummary, HttpExchange, JsonObject, JsonValue, LogLevel } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { createStageRecorder } from './stage-recorder.js';

export interface StageContextInput {
  store: WorkerStore;
  event: EventRecord;
  stage: string;
  summary: EventSummary;
  outputs: Readonly<Record<string, JsonValue | null>>;
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
  now: () => Date;
}

export interface StageContextHandle {
  context: StageContext;
  /** Everything passed to annotate(), merged; undefined when the stage annotated nothing. */
  summaryPatch(): EventSummary | undefined;
  /** Log lines the stage wrote, in order, capped (see STAGE_RECORD_LIMITS). */
  logs(): EventLogEntry[];
  /** HTTP calls the stage made through ctx.http, redacted and capped. */
  exchanges(): HttpExchange[];
}

export function createStageContext(input: StageContextInput): StageContextHandle {
  let patch: EventSummary | undefined;
  const recorder = createStageRecorder({ stage: input.stage, attempt: input.attempt, now: input.now });
  // Made at the first line the process log prints, not for every attempt: a child logger reads
  // its parent's bindings back from JSON, and most attempts of a busy worker print nothing.
  let pinoLogger: Logger | undefined;
  const log = (level: LogLevel, message: string, fields?: JsonObject): void => {
    recorder.addLog({ at: input.now(), level, stage: input.stage, message, fields: fields ?? null });
    if (!input.logger.isLevelEnabled(level)) return;
    pinoLogger ??= boundTo(input.logger, { eventId: input.event.id, stage: input.stage });
    pinoLogger[level](withoutKeys(fields, BOUND_KEYS), message);
  };
  const stageLogger: StageLogger = {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    log,
  };
  const context: StageContext = {
    event: input.event,
    payload: input.event.payload,
    summary: input.summary,
    outputs: input.outputs,
    idempotencyKey: input.idempotencyKey,
    attempt: input.attempt,
    signal: input.signal,
    log: stageLogger,
    http: recorder.http,
    annotate(summaryPatch) {
      // Checked before merging: a refused patch changes nothing.
      patch = mergeSummary(patch ?? {}, checkSummaryPatch(summaryPatch));
    },
    async flag(key) {
      const flag = await input.store.getFlag(key);
      return flag?.value ?? true;
    },
  };
  return { context, summaryPatch: () => patch, logs: () => recorder.logs(), exchanges: () => recorder.exchanges() };
}

const BOUND_KEYS = ['eventId', 'stage'] as const;

/**
 * A child logger with `bindings`, minus those the parent already carries: pino writes a key
 * once per binding, so binding eventId again (the runner's logger has it) printed
 * `{"eventId":30,"eventId":30,...}` — a line many JSON tools reject or read ambiguously.
 */
function boundTo(logger: Logger, bindings: Record<string, string | number>): Logger {
  const existing = logger.bindings();
  const missing = Object.fromEntries(Object.entries(bindings).filter(([key]) => !(key in existing)));
  return Object.keys(missing).length > 0 ? logger.child(missing) : logger;
}

/** A stage's own fields, without keys the logger binds (they would be printed twice). */
function withoutKeys(fields: JsonObject | undefined, keys: readonly string[]): JsonObject {
  if (!fields) return {};
  return Object.fromEntries(Object.entries(fields).filter(([key]) => !keys.includes(key)));
}

/**
 * The idempotency key of one stage of one event. It is built from the provider's identity of
 * the delivery (source + provider event id, unique and immutable), not from attempt numbers,
 * worker ids or times, so every attempt — after a crash, a manual retry or a deliberate
 * re-run — sends the same key and a deduplicating receiver performs the effect once.
 */
export function idempotencyKeyFor(event: EventRecord, stage: string): string {
  return `webpig:${event.source}:${event.providerEventId}:${stage}`;
}
