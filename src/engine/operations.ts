/**
 * Operator actions on events, shared by the CLI and the HTTP API. Each one is audited with
 * who did it. Permission checks belong to the caller (the server checks roles first).
 */
import { StoreError, WebpigError } from '../core/errors.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { EventRecord, EventStatus } from '../core/types.js';
import type { Store } from '../store/store.js';
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
  store: Store,
  eventId: number,
  actor: string,
  remoteAddress: string | null = null,
  at: Date = new Date(),
): Promise<EventRecord> {
  const before = await store.getEvent(eventId);
  if (!before) throw new EventNotFoundError(eventId);
  if (!MANUALLY_RETRIABLE.has(before.status)) {
    throw new OperationRefusedError(
      'NOT_RETRIABLE',
      `event ${eventId} is ${before.status}; only dead or retrying events can be retried`,
    );
  }
  const event = await store.requeueEvent(eventId, at);
  if (!event) throw new EventNotFoundError(eventId);
  await store.appendAudit({
    actor,
    action: 'event.retry',
    target: `event:${eventId}`,
    details: { previousStatus: before.status, manualRetries: event.manualRetries },
    remoteAddress,
    at,
  });
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
  store: Store,
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
 * Re-runs one stage on purpose: its checkpoint goes back to `pending` (history kept) and the
 * event back to the queue. The stage runs again with the same idempotency key, so a
 * deduplicating receiver still does the effect once; stages after it are not re-run.
 */
export async function rerunStage(
  store: Store,
  pipelines: readonly PipelineDefinition[],
  eventId: number,
  stage: string,
  actor: string,
  remoteAddress: string | null = null,
  at: Date = new Date(),
): Promise<EventRecord> {
  const event = await store.getEvent(eventId);
  if (!event) throw new EventNotFoundError(eventId);
  const pipeline = choosePipeline(pipelines, event);
  if (!pipeline || !pipeline.stages.some((s) => s.name === stage)) {
    throw new OperationRefusedError(
      'STAGE_UNKNOWN',
      `event ${eventId} has no stage "${stage}"${pipeline ? ` (pipeline "${pipeline.name}")` : ''}`,
    );
  }
  try {
    await store.resetStage(eventId, stage, at);
  } catch (err) {
    // The store checks the lease atomically with the reset (a worker may claim meanwhile).
    if (err instanceof StoreError && err.code === 'EVENT_BUSY') throw new OperationRefusedError('EVENT_BUSY', err.message);
    throw err;
  }
  await store.appendAudit({
    actor,
    action: 'stage.rerun',
    target: `event:${eventId}`,
    details: { stage, previousStatus: event.status },
    remoteAddress,
    at,
  });
  const updated = await store.getEvent(eventId);
  if (!updated) throw new EventNotFoundError(eventId);
  return updated;
}
