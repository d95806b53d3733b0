/**
 * Bulk retry and bulk re-run, selected by a filter, always previewed first. `previewBulk` and
 * `runBulk` select and plan with the same function (`selectAndPlan`), and the run applies each
 * event's plan (run-plan.ts) as it is: the preview an operator confirmed is what happens.
 *
 * - Retry (`rerun` null): dead or retrying events resume from their checkpoints.
 * - Re-run (`rerun` = a stage): where that stage did not succeed (it failed, was skipped —
 *   e.g. its flag was off — or never ran), it runs again, and so do the stages it had blocked.
 */
import { errorMessage, WebpigError } from '../core/errors.js';
import { eventFailure } from '../core/failure.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import { EVENT_STATUSES, type CheckpointRecord, type EventRecord, type EventStatus } from '../core/types.js';
import type { EventFilter } from '../store/store.js';
import type { OperatorStore } from '../store/store-roles.js';
import { applyRerunPlan, flagValues, MANUALLY_RETRIABLE, retryEvent, type OperatorStamp } from './operations.js';
import { planEventRun, type EventRunPlan } from './run-plan.js';
import { choosePipeline } from './runner.js';

/** Which events: every field narrows; dates are the time webpig received the event. */
export interface BulkFilter {
  /** (Default: dead and retrying for a retry; any status but queued or processing for a re-run) */
  status?: EventStatus[];
  source?: string;
  pipeline?: string;
  /** Only events whose checkpoint for this stage is in error. */
  stage?: string;
  /** Only events with a failed stage (or last error) with this code; with `stage`, that stage's. */
  code?: string;
  /** receivedAt >= since */
  since?: Date;
  /** receivedAt < until */
  until?: Date;
  /** Also dead events someone marked as handled by hand. (Default: false: they are left out, and counted as such) */
  includeHandled?: boolean;
}

export interface BulkRequest {
  filter: BulkFilter;
  /** Re-run this stage and what it blocked, instead of a retry. (Default: null) */
  rerun?: string | null;
}

/** Codes: INVALID_ARGUMENT (a filter that cannot be right), BULK_TOO_LARGE (narrow the filter). */
export class BulkRequestError extends WebpigError {}

/** More than this many events in one bulk action is refused: narrow the filter (dates, stage, code). */
export const MAX_BULK_EVENTS = 1000;

export interface BulkEventPlan {
  eventId: number;
  status: EventStatus;
  source: string;
  pipeline: string | null;
  receivedAt: Date;
  customer: string | null;
  amount: number | null;
  currency: string | null;
  /** The stage in error and its code, for the list. */
  failedStage: string | null;
  errorCode: string | null;
  /**
   * Its last error is permanent (not retriable): a retry will likely fail the same way unless
   * something changed. The same test the one-event retry's warning makes (core/failure.ts).
   */
  permanentError: boolean;
  plan: EventRunPlan;
}

export interface BulkPreview {
  mode: 'retry' | 'rerun';
  rerun: string | null;
  /** Events the action will queue. */
  count: number;
  /** Stage runs over all events. */
  stagesToRun: number;
  events: BulkEventPlan[];
  /** Events the filter found but the action leaves alone, by why. */
  excluded: { reason: 'already_succeeded' | 'in_queue' | 'stage_not_in_pipeline' | 'handled'; count: number }[];
}

export interface BulkResult {
  mode: 'retry' | 'rerun';
  queued: { eventId: number; stages: string[] }[];
  /** Events not queued, with why (it changed since the preview, a worker holds it...). */
  refused: { eventId: number; code: string; message: string }[];
}

const EVENT_STATUS_SET: ReadonlySet<string> = new Set(EVENT_STATUSES);

const invalidArgument = (message: string): never => {
  throw new BulkRequestError('INVALID_ARGUMENT', message);
};

/**
 * Checks a filter of events (the bulk actions' and `GET /api/events`'), so both refuse the same
 * filters with the same words: an unknown status, pipeline or stage, a malformed error code, an
 * empty range of dates. `knownSources` (the configured webhook sources, and those removed from the
 * config that still have stored events) makes an unknown source refused too; without it a source
 * is only checked to be a name. Throws BulkRequestError INVALID_ARGUMENT naming the field, before
 * anything is read or changed.
 */
export function checkEventFilter(
  pipelines: readonly PipelineDefinition[],
  filter: BulkFilter,
  knownSources: KnownSources | null = null,
): void {
  for (const status of filter.status ?? []) {
    if (!EVENT_STATUS_SET.has(status)) invalidArgument(`status: unknown status "${status}" (known: ${EVENT_STATUSES.join(', ')})`);
  }
  if (filter.pipeline !== undefined && !pipelines.some((p) => p.name === filter.pipeline)) {
    invalidArgument(`pipeline: unknown pipeline "${filter.pipeline}" (known: ${pipelines.map((p) => p.name).join(', ')})`);
  }
  if (filter.stage !== undefined) checkKnownStage(pipelines, 'stage', filter.stage);
  if (filter.code !== undefined && !/^[A-Za-z0-9_.:-]{1,100}$/.test(filter.code)) {
    invalidArgument(`code: "${filter.code}" is not an error code (letters, digits and _ . : -, e.g. HTTP_404)`);
  }
  if (filter.source !== undefined) {
    if (filter.source.trim() === '' || filter.source.length > 100) invalidArgument('source: give a source name, e.g. epayco');
    if (knownSources) checkKnownSource(knownSources, filter.source);
  }
  for (const [field, date] of [
    ['since', filter.since],
    ['until', filter.until],
  ] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) {
      invalidArgument(`${field}: not a date; use ISO 8601, e.g. 2026-12-01T00:00:00-05:00`);
    }
  }
  if (filter.since && filter.until && filter.since >= filter.until) invalidArgument('since: must be before until');
}

/**
 * The source names a filter may use: the configured webhook sources, and those since removed from
 * the config that still have stored events (their deliveries stay listed by their name).
 */
export interface KnownSources {
  configured: readonly string[];
  removed: readonly string[];
}

function checkKnownSource({ configured, removed }: KnownSources, source: string): void {
  if (configured.includes(source) || removed.includes(source)) return;
  const known = configured.join(', ') || 'none: no source is configured';
  const kept = removed.length ? `; no longer configured, with stored events: ${removed.join(', ')}` : '';
  invalidArgument(`source: unknown source "${source}" (known: ${known}${kept})`);
}

function checkKnownStage(pipelines: readonly PipelineDefinition[], field: string, stage: string): void {
  const stages = [...new Set(pipelines.flatMap((p) => p.stages.map((s) => s.name)))];
  if (!stages.includes(stage)) {
    invalidArgument(`${field}: unknown stage "${stage}" (known: ${stages.join(', ') || 'none: no pipeline is configured'})`);
  }
}

/** Throws BulkRequestError INVALID_ARGUMENT naming the field, before anything is read or changed. */
export function checkBulkRequest(
  pipelines: readonly PipelineDefinition[],
  request: BulkRequest,
  knownSources: KnownSources | null = null,
): void {
  const { filter } = request;
  checkEventFilter(pipelines, filter, knownSources);
  if (!request.rerun) {
    const notRetriable = (filter.status ?? []).filter((s) => !MANUALLY_RETRIABLE.has(s));
    if (notRetriable.length) {
      invalidArgument(
        `status: only dead or retrying events can be retried, not ${notRetriable.join(', ')} (to run a stage again anywhere, re-run it)`,
      );
    }
  } else {
    checkKnownStage(pipelines, 'rerun', request.rerun);
  }
}

export async function previewBulk(
  store: OperatorStore,
  pipelines: readonly PipelineDefinition[],
  request: BulkRequest,
): Promise<BulkPreview> {
  return selectAndPlan(store, pipelines, request);
}

/**
 * Applies the plans. `eventIds` (what the person saw in the preview, or one batch of it)
 * narrows the selection: an event the filter no longer selects is refused, never added.
 * Each event is audited with who, why and what it will run.
 */
export async function runBulk(
  store: OperatorStore,
  pipelines: readonly PipelineDefinition[],
  request: BulkRequest,
  stamp: OperatorStamp,
  eventIds: readonly number[] | null = null,
): Promise<BulkResult> {
  const preview = await selectAndPlan(store, pipelines, request, eventIds);
  const result: BulkResult = { mode: preview.mode, queued: [], refused: [] };
  const planned = new Set(preview.events.map((e) => e.eventId));
  for (const id of eventIds ?? []) {
    if (!planned.has(id))
      result.refused.push({ eventId: id, code: 'NO_LONGER_SELECTED', message: `event ${id} no longer matches the filter` });
  }
  for (const item of preview.events) {
    try {
      await applyOne(store, request, item, stamp);
      result.queued.push({ eventId: item.eventId, stages: item.plan.stages.filter((s) => s.action === 'run').map((s) => s.stage) });
    } catch (err) {
      result.refused.push({ eventId: item.eventId, code: err instanceof WebpigError ? err.code : 'FAILED', message: errorMessage(err) });
    }
  }
  return result;
}

async function applyOne(store: OperatorStore, request: BulkRequest, item: BulkEventPlan, stamp: OperatorStamp): Promise<void> {
  const event = await store.getEvent(item.eventId);
  if (!event) throw new BulkRequestError('EVENT_NOT_FOUND', `event ${item.eventId} no longer exists`);
  if (request.rerun) {
    await applyRerunPlan(store, event, request.rerun, item.plan, stamp, { bulk: true });
  } else if (item.plan.reset.length > 0) {
    await applyRerunPlan(store, event, item.plan.reset[0]!, item.plan, stamp, { bulk: true });
  } else {
    await retryEvent(store, item.eventId, stamp.actor, stamp.remoteAddress, stamp.at, stamp.reason);
  }
}

/** The one selection and plan both the preview and the run use. */
async function selectAndPlan(
  store: OperatorStore,
  pipelines: readonly PipelineDefinition[],
  request: BulkRequest,
  onlyIds: readonly number[] | null = null,
): Promise<BulkPreview> {
  checkBulkRequest(pipelines, request);
  const rerun = request.rerun ?? null;
  const only = onlyIds ? new Set(onlyIds) : null;
  // The whole selection is read (its size is checked), but only the asked-for ids are planned.
  const events = (await selectEvents(store, storeFilterFor(request))).filter((e) => !only || only.has(e.id));
  const checkpoints = await store.getCheckpointsForEvents(events.map((e) => e.id));
  const flags = await flagValues(store);
  const preview: BulkPreview = { mode: rerun ? 'rerun' : 'retry', rerun, count: 0, stagesToRun: 0, events: [], excluded: [] };
  const exclude = (reason: BulkPreview['excluded'][number]['reason']): void => {
    const entry = preview.excluded.find((x) => x.reason === reason);
    if (entry) entry.count += 1;
    else preview.excluded.push({ reason, count: 1 });
  };
  for (const event of events) {
    const own = checkpoints.get(event.id) ?? [];
    if (!matchesCode(request.filter, event, own)) continue;
    // Someone already settled it by hand (refunded, invoiced manually): a bulk action would redo it.
    if (event.handled && !request.filter.includeHandled) {
      exclude('handled');
      continue;
    }
    const pipeline = pipelineOf(pipelines, event);
    if (rerun) {
      if (event.status === 'queued' || event.status === 'processing') {
        exclude('in_queue');
        continue;
      }
      if (!pipeline?.stages.some((s) => s.name === rerun)) {
        exclude('stage_not_in_pipeline');
        continue;
      }
      if (own.some((c) => c.stage === rerun && c.status === 'success')) {
        exclude('already_succeeded');
        continue;
      }
    }
    const plan = planEventRun(pipeline, own, flags, rerun);
    preview.events.push(describe(event, own, pipeline, plan));
    preview.stagesToRun += plan.runCount;
  }
  preview.count = preview.events.length;
  return preview;
}

function storeFilterFor(request: BulkRequest): EventFilter {
  const { filter } = request;
  const defaultStatuses: EventStatus[] = request.rerun
    ? EVENT_STATUSES.filter((s) => s !== 'queued' && s !== 'processing')
    : [...MANUALLY_RETRIABLE];
  const storeFilter: EventFilter = { status: filter.status?.length ? filter.status : defaultStatuses };
  if (filter.source) storeFilter.source = filter.source;
  if (filter.pipeline) storeFilter.pipeline = filter.pipeline;
  if (filter.since) storeFilter.since = filter.since;
  if (filter.until) storeFilter.until = filter.until;
  if (filter.stage) storeFilter.checkpoint = { status: 'error', stages: [filter.stage] };
  return storeFilter;
}

/** Every matching event, collected before anything changes (changed events would shift pages). */
async function selectEvents(store: OperatorStore, filter: EventFilter): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listEvents(filter, { cursor, limit: 500 });
    events.push(...page.items);
    cursor = page.nextCursor;
    if (events.length > MAX_BULK_EVENTS) {
      throw new BulkRequestError(
        'BULK_TOO_LARGE',
        `the filter selects more than ${MAX_BULK_EVENTS} events; narrow it (dates, source, stage, error code) and act in parts`,
      );
    }
  } while (cursor);
  return events;
}

function matchesCode(filter: BulkFilter, event: EventRecord, checkpoints: readonly CheckpointRecord[]): boolean {
  if (filter.code === undefined) return true;
  const code = filter.code.toUpperCase();
  const failed = checkpoints.filter((c) => c.status === 'error' && (filter.stage === undefined || c.stage === filter.stage));
  if (failed.some((c) => c.error?.code?.toUpperCase() === code)) return true;
  return filter.stage === undefined && event.lastError?.code?.toUpperCase() === code;
}

function pipelineOf(pipelines: readonly PipelineDefinition[], event: EventRecord): PipelineDefinition | undefined {
  try {
    return choosePipeline(pipelines, event);
  } catch {
    return undefined; // a match() that throws: the plan falls back to the checkpoints
  }
}

function describe(
  event: EventRecord,
  checkpoints: readonly CheckpointRecord[],
  pipeline: PipelineDefinition | undefined,
  plan: EventRunPlan,
): BulkEventPlan {
  const failure = eventFailure(event, checkpoints);
  return {
    eventId: event.id,
    status: event.status,
    source: event.source,
    pipeline: pipeline?.name ?? event.pipeline,
    receivedAt: event.receivedAt,
    customer: event.summary.customer?.name ?? null,
    amount: event.summary.amount ?? null,
    currency: event.summary.currency ?? null,
    failedStage: failure?.stage ?? null,
    errorCode: failure?.error.code ?? event.lastError?.code ?? null,
    permanentError: failure?.error.retriable === false,
    plan,
  };
}
