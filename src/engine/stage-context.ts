/**
 * The context a stage function receives, and the buffers that collect what it reports
 * (summary annotations, log lines) until the engine writes them with the stage's outcome.
 */
import type { Logger } from 'pino';
import type { StageContext, StageHttp, StageLogger } from '../core/pipeline.js';
import { checkSummaryPatch, mergeSummary } from '../core/summary.js';
import type { EventLogEntry, EventRecord, EventSummary, HttpExchange, JsonObject, JsonValue, LogLevel } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { createStageRecorder, type StageRecorder } from './stage-recorder.js';

/** Where a lazily made signal comes from (the attempt's AttemptStop): read on first use. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

export interface StageContextInput {
  store: WorkerStore;
  event: EventRecord;
  stage: string;
  summary: EventSummary;
  outputs: Readonly<Record<string, JsonValue | null>>;
  idempotencyKey: string;
  attempt: number;
  /** The stage's signal, or where to get it the first time the stage reads `ctx.signal`. */
  signal: AbortSignal | SignalSource;
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

// Shared by every attempt that recorded nothing; frozen, so a write to it throws instead of
// leaking into other attempts.
const NO_LOGS = Object.freeze([]) as unknown as EventLogEntry[];
const NO_EXCHANGES = Object.freeze([]) as unknown as HttpExchange[];

/**
 * One attempt's buffers and the parts of its context a stage may not use: the recorder, the
 * stage logger and the signal are made on first use. A stage that neither logs nor calls
 * `ctx.http` nor reads `ctx.signal` (most attempts of a busy worker) costs no recorder, no
 * logger functions and no AbortController (bench/README.md, engine CPU at concurrency 32).
 */
class AttemptContext implements StageContextHandle {
  readonly context: StageContext;
  private patch: EventSummary | undefined;
  private recorderMade: StageRecorder | undefined;
  private stageLoggerMade: StageLogger | undefined;
  // Made at the first line the process log prints, not for every attempt: a child logger reads
  // its parent's bindings back from JSON, and most attempts of a busy worker print nothing.
  private pinoLogger: Logger | undefined;

  constructor(private readonly input: StageContextInput) {
    this.context = new StageContextView(this, input);
  }

  /** Checked before merging: a refused patch changes nothing. */
  annotate(summaryPatch: EventSummary): void {
    this.patch = mergeSummary(this.patch ?? {}, checkSummaryPatch(summaryPatch));
  }

  summaryPatch(): EventSummary | undefined {
    return this.patch;
  }

  logs(): EventLogEntry[] {
    return this.recorderMade ? this.recorderMade.logs() : NO_LOGS;
  }

  exchanges(): HttpExchange[] {
    return this.recorderMade ? this.recorderMade.exchanges() : NO_EXCHANGES;
  }

  recorder(): StageRecorder {
    this.recorderMade ??= createStageRecorder({ stage: this.input.stage, attempt: this.input.attempt, now: this.input.now });
    return this.recorderMade;
  }

  stageLogger(): StageLogger {
    if (this.stageLoggerMade) return this.stageLoggerMade;
    const log = (level: LogLevel, message: string, fields?: JsonObject): void => this.log(level, message, fields);
    this.stageLoggerMade = {
      debug: (message, fields) => log('debug', message, fields),
      info: (message, fields) => log('info', message, fields),
      warn: (message, fields) => log('warn', message, fields),
      error: (message, fields) => log('error', message, fields),
      log,
    };
    return this.stageLoggerMade;
  }

  private log(level: LogLevel, message: string, fields: JsonObject | undefined): void {
    const { input } = this;
    this.recorder().addLog({ at: input.now(), level, stage: input.stage, message, fields: fields ?? null });
    if (!input.logger.isLevelEnabled(level)) return;
    this.pinoLogger ??= boundTo(input.logger, { eventId: input.event.id, stage: input.stage });
    this.pinoLogger[level](withoutKeys(fields, BOUND_KEYS), message);
  }
}

/**
 * What the stage receives: plain data, and `signal`, `log` and `http` as getters (on the
 * prototype) that make the signal, the stage logger and the recorder on first use. A class,
 * not an object literal with getters: V8 builds such a literal through the runtime, ~2 µs an
 * attempt, against ~20 ns for this (measured with a micro-benchmark, bench/README.md).
 * `annotate` and `flag` are own functions, so a stage may still take them apart from `ctx`.
 */
class StageContextView implements StageContext {
  readonly event: EventRecord;
  readonly payload: JsonValue;
  readonly summary: EventSummary;
  readonly outputs: Readonly<Record<string, JsonValue | null>>;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly annotate: (summaryPatch: EventSummary) => void;
  readonly flag: (key: string) => Promise<boolean>;

  constructor(
    private readonly handle: AttemptContext,
    private readonly input: StageContextInput,
  ) {
    this.event = input.event;
    this.payload = input.event.payload;
    this.summary = input.summary;
    this.outputs = input.outputs;
    this.idempotencyKey = input.idempotencyKey;
    this.attempt = input.attempt;
    this.annotate = (summaryPatch) => handle.annotate(summaryPatch);
    this.flag = async (key) => (await input.store.getFlag(key))?.value ?? true;
  }

  get signal(): AbortSignal {
    const { signal } = this.input;
    return signal instanceof AbortSignal ? signal : signal.signal;
  }

  get log(): StageLogger {
    return this.handle.stageLogger();
  }

  get http(): StageHttp {
    return this.handle.recorder().http;
  }
}

export function createStageContext(input: StageContextInput): StageContextHandle {
  return new AttemptContext(input);
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
