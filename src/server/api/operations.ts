import { StoreError } from '../../core/errors.js';
import type { EventRecord } from '../../core/types.js';
import type { Store } from '../../store/store.js';
import { HttpError } from '../http-errors.js';

/**
 * Operator actions on events. Until the engine's operations (src/engine/operations.ts) land
 * these call the store directly; the API depends only on this interface, so swapping in the
 * engine's implementation is a one-line change in plugin.ts.
 */
export interface OperatorAction {
  eventId: number;
  actor: string;
  remoteAddress: string | null;
  now: Date;
}

export interface EventOperations {
  /** Puts a dead or retrying event back in the queue; audits it. 404/409 as HttpError. */
  retryEvent(action: OperatorAction): Promise<EventRecord>;
  /** Resets one stage's checkpoint and queues the event; audits it. */
  rerunStage(action: OperatorAction & { stage: string }): Promise<EventRecord>;
}

function notRetriable(eventId: number, status: string): HttpError {
  return new HttpError(409, 'NOT_RETRIABLE', `event ${eventId} is ${status}; only dead or retrying events can be retried`);
}

export function storeOperations(store: Store, stagesOf: (pipeline: string) => string[] | null): EventOperations {
  return {
    async retryEvent({ eventId, actor, remoteAddress, now }) {
      const before = await store.getEvent(eventId);
      if (!before) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${eventId}`);
      if (before.status !== 'dead' && before.status !== 'retrying') throw notRetriable(eventId, before.status);
      let event: EventRecord | null;
      try {
        event = await store.requeueEvent(eventId, now);
      } catch (err) {
        // Raced with a worker that moved the event on since we read it.
        if (err instanceof StoreError && err.code === 'NOT_RETRIABLE') throw notRetriable(eventId, before.status);
        throw err;
      }
      if (!event) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${eventId}`);
      await store.appendAudit({
        actor,
        action: 'event.retry',
        target: `event:${eventId}`,
        details: { from: before.status, to: event.status },
        remoteAddress,
        at: now,
      });
      return event;
    },

    async rerunStage({ eventId, stage, actor, remoteAddress, now }) {
      const before = await store.getEvent(eventId);
      if (!before) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${eventId}`);
      if (!before.pipeline) throw new HttpError(409, 'NO_PIPELINE', `event ${eventId} has no pipeline, so no stage to re-run`);
      const stages = stagesOf(before.pipeline);
      if (!stages?.includes(stage)) {
        throw new HttpError(404, 'STAGE_NOT_FOUND', `pipeline ${before.pipeline} has no stage "${stage}"`);
      }
      // Re-running under a live lease would let the API and a worker both move the event.
      if (before.status === 'processing' && before.leaseExpiresAt && before.leaseExpiresAt > now) {
        throw new HttpError(409, 'EVENT_BUSY', `event ${eventId} is being processed right now; try again when it finishes`);
      }
      await store.resetStage(eventId, stage, now);
      await store.appendAudit({
        actor,
        action: 'stage.rerun',
        target: `event:${eventId}`,
        details: { stage, previousStatus: before.status },
        remoteAddress,
        at: now,
      });
      const event = await store.getEvent(eventId);
      if (!event) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${eventId}`);
      return event;
    },
  };
}
