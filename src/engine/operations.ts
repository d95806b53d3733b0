/**
 * Operator actions on events, shared by the CLI and the HTTP API. Each one is audited with
 * who did it. Permission checks belong to the caller (the server checks roles first).
 */
import { StoreError, WebpigError } from '../core/errors.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { EventRecord, EventStatus, JsonObject } from '../core/types.js';
import type { OperatorStore } from '../store/store-roles.js';
import { planEventRun, type EventRunPlan } from './run-plan.js';
import { choosePipeline } from './runner.js';

/** An operator asked for something about an event that does not exist. */
export class EventNotFoundError extends WebpigError {
  constructor(eventId: number) {
    super('EVENT_NOT_FOUND', `event ${eventId} does not exist`);
  }
}

/** Codes: STAGE_UNKNOWN (no such stage in the event's pipeline), EVENT_BUSY (a worker runs it). */
export class OperationRefusedError extends WebpigError {}

/**
 * What a person may retry, one rule for the API, the CLI and the dashboard: an event that
 * failed (dead) or is waiting to try again (retrying). An ignored event matched no pipeline
 * or was a stale transition: re-queueing it would only ignore it again, or, worse, run a
 * pipeline added since for an old payment; a re-run of a chosen stage is the way for that.
 */
export const MANUALLY_RETRIABLE: ReadonlySet<EventStatus> = new Set<EventStatus>(['dead', 'retrying']);

/**
 * Puts a dead or retrying event back in the queue now. It resumes from its checkpoints: only
 * stages that are neither `success` nor `skipped` run. Retried by hand more than once → an
 * 'retried' alert (the seeds: "alert if retry_count > 1").
 * Throws EventNotFoundError, or OperationRefusedError 'NOT_RETRIABLE' (any other status,
 * e.g. succeeded or ignored; the store refuses it too if the status changed meanwhile).
 */
export async function retryEvent(
  store: OperatorStore,
  eventId: number,
  actor: string,
  remoteAddress: string | null = null,
  at: Date = new Date(),
  reason: string | null = null,
): Promise<EventRecord> {
  const before = await store.getEvent(eventId);
  if (!before) throw new EventNotFoundError(eventId);
  if (!MANUALLY_RETRIABLE.has(before.status)) {
    throw new OperationRefusedError('NOT_RETRIABLE', `event ${eventId} is ${before.status}; only dead or retrying events can be retried`);
  }
  const event = await store.requeueEvent(eventId, at);
  if (!event) throw new EventNotFoundError(eventId);
  await store.appendAudit({
    actor,
    action: 'event.retry',
    target: `event:${eventId}`,
    details: { previousStatus: before.status, manualRetries: event.manualRetries, ...reasonField(reason) },
    remoteAddress,
    at,
  });
  await noteOnEvent(store, eventId, null, actor, reason, 'retry', at);
  if (event.manualRetries > 1) {
    await store.recordAlert({
      at,
      kind: 'retried',
      eventId,
      stage: null,
      message: `event ${eventId} was retried by hand ${event.manualRetries} times`,
      details: { manualRetries: event.manualRetries, actor },
    });
  }
  return event;
}

/** Retries every dead event. Returns the ids put back in the queue. */
export async function retryDead(
  store: OperatorStore,
  actor: string,
  remoteAddress: string | null = null,
  at: Date = new Date(),
): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  // Collect first, then requeue: requeued events leave the 'dead' filter and would shift pages.
  do {
    const page = await store.listEvents({ status: 'dead' }, { cursor, limit: 500 });
    ids.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  for (const id of ids) await retryEvent(store, id, actor, remoteAddress, at);
  return ids;
}

/**
 * What re-running `stage` of the event will do: that stage, and the stages it had blocked
 * (skipped because it was skipped: their reason is re-evaluated), with flags as they are now.
 * The same plan rerunStage applies, so a preview shown before it cannot differ from it.
 */
export async function planStageRerun(
  store: OperatorStore,
  pipelines: readonly PipelineDefinition[],
  eventId: number,
  stage: string,
): Promise<{ event: EventRecord; plan: EventRunPlan }> {
  const event = await store.getEvent(eventId);
  if (!event) throw new EventNotFoundError(eventId);
  const pipeline = choosePipeline(pipelines, event);
  if (!pipeline || !pipeline.stages.some((s) => s.name === stage)) {
    throw new OperationRefusedError(
      'STAGE_UNKNOWN',
      `event ${eventId} has no stage "${stage}"${pipeline ? ` (pipeline "${pipeline.name}")` : ''}`,
    );
  }
  const [checkpoints, flags] = await Promise.all([store.getCheckpoints(eventId), flagValues(store)]);
  return { event, plan: planEventRun(pipeline, checkpoints, flags, stage) };
}

/** The flags' values now; a flag the store lacks counts as on, as in the runner. */
export async function flagValues(store: OperatorStore): Promise<(key: string) => boolean> {
  const values = new Map((await store.listFlags()).map((f) => [f.key, f.value]));
  return (key) => values.get(key) ?? true;
}

/**
 * Re-runs one stage on purpose, and what it had blocked (planStageRerun): their checkpoints go
 * back to `pending` (history kept) in one store call and the event back to the queue. The
 * stage runs again with the same idempotency key, so a deduplicating receiver still does the
 * effect once; stages after it that had succeeded are not re-run.
 */
export async function rerunStage(
  store: OperatorStore,
  pipelines: readonly PipelineDefinition[],
  eventId: number,
  stage: string,
  actor: string,
  remoteAddress: string | null = null,
  at: Date = new Date(),
  reason: string | null = null,
): Promise<EventRecord> {
  const { event, plan } = await planStageRerun(store, pipelines, eventId, stage);
  await applyRerunPlan(store, event, stage, plan, { actor, remoteAddress, at, reason });
  const updated = await store.getEvent(eventId);
  if (!updated) throw new EventNotFoundError(eventId);
  return updated;
}

export interface OperatorStamp {
  actor: string;
  remoteAddress: string | null;
  at: Date;
  reason: string | null;
}

/** Resets the plan's checkpoints (one store call), audits `stage.rerun` and notes it on the event. */
export async function applyRerunPlan(
  store: OperatorStore,
  event: EventRecord,
  stage: string,
  plan: EventRunPlan,
  stamp: OperatorStamp,
  extra: JsonObject = {},
): Promise<void> {
  try {
    await store.resetStage(event.id, plan.reset, stamp.at);
  } catch (err) {
    // The store checks the lease atomically with the reset (a worker may claim meanwhile).
    if (err instanceof StoreError && err.code === 'EVENT_BUSY') throw new OperationRefusedError('EVENT_BUSY', err.message);
    throw err;
  }
  const following = plan.reset.filter((s) => s !== stage);
  await store.appendAudit({
    actor: stamp.actor,
    action: 'stage.rerun',
    target: `event:${event.id}`,
    details: { stage, previousStatus: event.status, ...(following.length ? { following } : {}), ...reasonField(stamp.reason), ...extra },
    remoteAddress: stamp.remoteAddress,
    at: stamp.at,
  });
  await noteOnEvent(store, event.id, stage, stamp.actor, stamp.reason, 'rerun', stamp.at, following);
}

function reasonField(reason: string | null): { reason?: string } {
  return reason ? { reason } : {};
}

/** A line in the event's own log, so its history shows who re-ran what and why. */
async function noteOnEvent(
  store: OperatorStore,
  eventId: number,
  stage: string | null,
  actor: string,
  reason: string | null,
  action: 'retry' | 'rerun',
  at: Date,
  following: string[] = [],
): Promise<void> {
  const what = action === 'retry' ? 'retry' : `re-run of ${stage}${following.length ? ` and ${following.join(', ')}` : ''}`;
  await store.appendEventLogs(eventId, [
    {
      at,
      level: 'info',
      stage,
      message: `${what} by ${actor}${reason ? `: ${reason}` : ''}`,
      fields: { operator: actor, action, reason, ...(following.length ? { following } : {}) },
    },
  ]);
}
