import { ConfigError } from './errors.js';
import { validateStateMachine, type EntityStateMachine } from './state-machine.js';
export type { EntityStateMachine } from './state-machine.js';
import type { EventRecord, EventSummary, JsonObject, JsonValue, LogLevel } from './types.js';

export interface RetryPolicy {
  /**
   * Delays before each retry of a retriable error, in ms: the n-th entry is the wait after the
   * n-th failed attempt. The number of entries is the number of retries; when they run out the
   * event is dead. `[]` means no retry at all.
   * (Default: [60_000, 300_000, 900_000]: the seeds' retry guide — attempt 1 at once, attempt 2
   * one minute after it fails, attempt 3 five minutes after that, attempt 4 fifteen minutes
   * after that; four attempts, then dead.)
   */
  delaysMs?: number[];
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 900_000];

/** The policy a stage runs under: its own, else its pipeline's, else the default. */
export function stageRetryPolicy(pipeline: Pick<PipelineDefinition, 'retry'>, stage: Pick<StageDefinition, 'retry'>): RetryPolicy {
  return stage.retry ?? pipeline.retry ?? { delaysMs: [...DEFAULT_RETRY_DELAYS_MS] };
}
/** (Default: 30 s) */
export const DEFAULT_STAGE_TIMEOUT_MS = 30_000;

export interface StageLogger {
  debug(message: string, fields?: JsonObject): void;
  info(message: string, fields?: JsonObject): void;
  warn(message: string, fields?: JsonObject): void;
  error(message: string, fields?: JsonObject): void;
  log(level: LogLevel, message: string, fields?: JsonObject): void;
}

/** An HTTP call made with another client (an SDK), for `ctx.http.record()`. */
export interface HttpExchangeInput {
  request: { method: string; url: string; headers?: Record<string, string>; body?: string | JsonValue };
  /** Omit (or null) when no reply came. */
  response?: { status: number; headers?: Record<string, string>; body?: string | JsonValue } | null;
  /** Why there is no reply. */
  error?: string | null;
  durationMs?: number | null;
}

/**
 * What a stage sent and received, kept with the attempt and shown on the dashboard's stage
 * panel. Secrets are redacted (Authorization, cookies, keys, tokens, signatures, passwords,
 * card data) and bodies capped before anything is stored; see STAGE_RECORD_LIMITS.
 */
export interface StageHttp {
  /** The global fetch(), recording the request and its response (or its failure). */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** Records a call made some other way (an SDK's client). */
  record(exchange: HttpExchangeInput): void;
}

export interface StageContext {
  event: EventRecord;
  /** The event's payload (same as event.payload). */
  payload: JsonValue;
  /** The event's summary as of this stage's start, including earlier annotate() calls. */
  summary: EventSummary;
  /** Checkpoint data of every stage that has succeeded so far for this event, by stage name. */
  outputs: Readonly<Record<string, JsonValue | null>>;
  /** Stable for this event and stage: the same on every attempt, after a crash or a manual retry. */
  idempotencyKey: string;
  /** 1 for the first run of this stage, 2 for the next... */
  attempt: number;
  /** Fires on timeout or worker shutdown; pass it to fetch(). */
  signal: AbortSignal;
  /** Kept with this attempt and shown in the stage panel (capped: see STAGE_RECORD_LIMITS). */
  log: StageLogger;
  /** fetch() that records each call for the stage panel; use it for every external call. */
  http: StageHttp;
  /**
   * Sets structured summary fields on the event (customer, product, amount...), written with
   * the stage's outcome. `customer`, `product` and `references` merge field by field with what
   * is already there. An unknown field or a wrong type throws SUMMARY_INVALID naming it.
   */
  annotate(patch: EventSummary): void;
  /** Current value of a flag, read from the store (for stages that branch on a flag). */
  flag(key: string): Promise<boolean>;
}

/** Whether a stage acts on the world outside webpig (`'external'`) or only computes and reads (`'none'`). */
export type StageEffects = 'external' | 'none';

/** A stage's label: one text for every language, or texts by language code (es, en). */
export type StageLabel = string | Readonly<Partial<Record<'es' | 'en', string>>>;

export interface StageDefinition {
  /** Unique within its pipeline; part of the checkpoint key and the idempotency key. */
  name: string;
  /** Stages that must have succeeded first. (Default: none; stages run in list order.) */
  dependsOn?: string[];
  /** When this flag is off the stage is skipped, with the flag and its value recorded. */
  flag?: string;
  /** Dashboard column this stage belongs to. */
  column?: string;
  /**
   * What people read on the dashboard instead of the name: one text, or one per language
   * (`{ es: 'Consulta en FR360', en: 'FR360 look-up' }`). (Default: the name)
   */
  label?: StageLabel;
  /** (Default: the pipeline's `retry`, else DEFAULT_RETRY_DELAYS_MS) */
  retry?: RetryPolicy;
  /** (Default: 30_000 ms) */
  timeoutMs?: number;
  /**
   * Return false (or why, as a string or by language: `{ es: 'solo se despacha un pedido
   * pagado', en: 'only a paid order is fulfilled' }`) to skip the stage for this event.
   */
  when?: (ctx: StageContext) => boolean | StageLabel | Promise<boolean | StageLabel>;
  /**
   * Called before `run` when a previous attempt may have made the effect: it was interrupted
   * (left `processing`) or failed — retriably, or permanently and then retried by an operator
   * (a service may answer an error after doing the work). Look the effect up (e.g. find the
   * invoice by reference): return its data if it exists, and `run` is not called; undefined
   * runs the stage again with the same idempotency key.
   */
  reconcile?: (ctx: StageContext) => Promise<JsonValue | undefined>;
  /**
   * How many times this event's effect exists in the external system (e.g. invoices with this
   * event's reference). Used only by `webpig verify`, which crashes workers on purpose and then
   * expects exactly 1 for every event whose stage succeeded. (Default: none; verify then
   * checks existence with `reconcile`, or reports the stage as not checkable)
   */
  countEffects?: (ctx: StageContext) => Promise<number>;
  /**
   * `'none'` when the stage changes nothing outside webpig: it reads the payload, computes, or
   * looks something up (a GET), and only its return value and `annotate()` matter. Such a stage
   * needs no durable `processing` mark before it runs: on an event's first claim it runs at once,
   * and its outcome goes to the store with the run's next write (the next stage's mark, or the
   * finish), before any later stage's effect can start. After a crash it simply runs again (its
   * mark is written from the event's second claim on, so a stage that kills its worker still
   * ends `INTERRUPTED_TOO_OFTEN`). Cannot be combined with `reconcile` or `countEffects`, which
   * look up an effect. (Default: `'external'`: the mark is durable before `run` is called.)
   */
  effects?: StageEffects;
  /** The effect. Its return value is the checkpoint data. */
  run: (ctx: StageContext) => Promise<JsonValue | void>;
}

export interface PipelineDefinition {
  name: string;
  /** What people read on the dashboard (the pipeline selector, a row's pipeline): like a stage's label. (Default: the name) */
  label?: StageLabel;
  /** Which events this pipeline handles. The first matching pipeline wins. */
  match: (event: EventRecord) => boolean;
  /**
   * When present and returning a reason, the event is recorded as `ignored` (not applicable)
   * with that reason and no stage runs, e.g. a rejected payment. The reason is one text, or
   * texts by language (`{ es, en }`, as labels): the dashboard shows the one of its language.
   */
  notApplicable?: (event: EventRecord) => StageLabel | undefined;
  entity?: EntityStateMachine;
  /** Retry policy of every stage that has none of its own. (Default: DEFAULT_RETRY_DELAYS_MS) */
  retry?: RetryPolicy;
  stages: StageDefinition[];
}

/** Validates a pipeline definition; throws ConfigError naming the stage at fault. */
export function definePipeline(definition: PipelineDefinition): PipelineDefinition {
  const where = `pipeline "${definition.name}"`;
  if (!definition.name) throw new ConfigError('a pipeline needs a name');
  if (definition.stages.length === 0) throw new ConfigError(`${where} has no stages`);
  checkRetryPolicy(`${where}`, definition.retry);
  checkLabel(`${where} label`, definition.label);
  const names = new Set<string>();
  for (const stage of definition.stages) {
    if (!/^[a-z0-9_.-]+$/i.test(stage.name)) {
      throw new ConfigError(`${where}: stage name "${stage.name}" may only hold letters, digits, _ . -`);
    }
    if (names.has(stage.name)) throw new ConfigError(`${where}: duplicate stage name "${stage.name}"`);
    names.add(stage.name);
    if (stage.timeoutMs !== undefined && !(stage.timeoutMs > 0)) {
      throw new ConfigError(`${where}: stage "${stage.name}" has a timeoutMs that is not positive`);
    }
    checkStageLabel(where, stage);
    checkStageEffects(where, stage);
    checkRetryPolicy(`${where}: stage "${stage.name}"`, stage.retry);
  }
  for (const stage of definition.stages) {
    for (const dep of stage.dependsOn ?? []) {
      if (!names.has(dep)) {
        throw new ConfigError(`${where}: stage "${stage.name}" depends on unknown stage "${dep}"`);
      }
    }
  }
  const cycle = findCycle(definition.stages);
  if (cycle) throw new ConfigError(`${where}: dependency cycle ${cycle.join(' → ')}`);
  if (definition.entity) validateStateMachine(definition.name, definition.entity);
  return definition;
}

/** `effects` is 'external' or 'none'; a stage of no effects has nothing for `reconcile` or `countEffects` to find. */
function checkStageEffects(where: string, stage: StageDefinition): void {
  const effects: unknown = stage.effects;
  if (effects === undefined || effects === 'external') return;
  const what = `${where}: stage "${stage.name}"`;
  if (effects !== 'none') {
    throw new ConfigError(`${what} has effects ${JSON.stringify(effects)}; use 'external' (the default) or 'none'`);
  }
  for (const lookUp of ['reconcile', 'countEffects'] as const) {
    if (stage[lookUp] !== undefined) {
      throw new ConfigError(
        `${what} declares effects 'none' and ${lookUp}(): a stage without external effects has none to look up; remove one of the two`,
      );
    }
  }
}

/** A label is a non-empty text, or non-empty texts under `es` / `en` only. */
function checkStageLabel(where: string, stage: StageDefinition): void {
  checkLabel(`${where}: stage "${stage.name}" label`, stage.label);
}

function checkLabel(what: string, label: unknown): void {
  if (label === undefined) return;
  const bad = (why: string) => new ConfigError(`${what} ${why} (use 'text' or { es: 'texto', en: 'text' })`);
  if (typeof label === 'string') {
    if (label.trim() === '') throw bad('is empty');
    return;
  }
  if (typeof label !== 'object' || label === null) throw bad('is neither a text nor texts by language');
  const entries = Object.entries(label);
  if (entries.length === 0) throw bad('has no language');
  for (const [language, text] of entries) {
    if (language !== 'es' && language !== 'en') throw bad(`has an unknown language "${language}"`);
    if (typeof text !== 'string' || text.trim() === '') throw bad(`has an empty ${language} text`);
  }
}

function findCycle(stages: StageDefinition[]): string[] | null {
  const deps = new Map(stages.map((s) => [s.name, s.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const dep of deps.get(name) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return null;
  };
  for (const stage of stages) {
    const found = visit(stage.name);
    if (found) return found;
  }
  return null;
}

function checkRetryPolicy(where: string, policy: RetryPolicy | undefined): void {
  for (const delay of policy?.delaysMs ?? []) {
    if (!(typeof delay === 'number' && delay >= 0 && Number.isFinite(delay))) {
      throw new ConfigError(`${where} has a retry delay that is not a finite number of ms ≥ 0 (${String(delay)})`);
    }
  }
}
