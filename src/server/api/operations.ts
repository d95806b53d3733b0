import { StoreError } from '../../core/errors.js';
import type { PipelineDefinition } from '../../core/pipeline.js';
import type { EventRecord } from '../../core/types.js';
import { EventNotFoundError, OperationRefusedError, rerunStage, retryEvent } from '../../engine/operations.js';
import type { Store } from '../../store/store.js';
import { HttpError } from '../http-errors.js';

/**
 * Operator actions on events, as the API needs them: the engine's operations (which audit
 * who, what and from where), with their typed errors turned into HTTP errors. The API
 * depends only on this interface, so a test or another deployment can pass its own.
 */
export interface OperatorAction {
  eventId: number;
  actor: string;
  remoteAddress: string | null;
  now: Date;
  /** Why, from the person (audited and noted on the event). (Default: none) */
  reason?: string | null;
}

export interface EventOperations {
  /** Puts a dead or retrying event back in the queue; audits it. 404/409 as HttpError. */
  retryEvent(action: OperatorAction): Promise<EventRecord>;
  /** Resets one stage's checkpoint (and those it had blocked) and queues the event; audits it. 404/409 as HttpError. */
  rerunStage(action: OperatorAction & { stage: string }): Promise<EventRecord>;
}

function toHttpError(err: unknown): unknown {
  if (err instanceof EventNotFoundError) return new HttpError(404, err.code, err.message, { cause: err });
  if (err instanceof OperationRefusedError) {
    return new HttpError(err.code === 'STAGE_UNKNOWN' ? 404 : 409, err.code, err.message, { cause: err });
  }
  if (err instanceof StoreError && err.code === 'NOT_RETRIABLE') {
    return new HttpError(409, err.code, err.message, { cause: err });
  }
  return err;
}

export function engineOperations(store: Store, pipelines: readonly PipelineDefinition[]): EventOperations {
  return {
    async retryEvent({ eventId, actor, remoteAddress, now, reason }) {
      // Which events may be retried is the engine's rule (MANUALLY_RETRIABLE), shared with the CLI.
      try {
        return await retryEvent(store, eventId, actor, remoteAddress, now, reason ?? null);
      } catch (err) {
        throw toHttpError(err);
      }
    },

    async rerunStage({ eventId, stage, actor, remoteAddress, now, reason }) {
      try {
        return await rerunStage(store, pipelines, eventId, stage, actor, remoteAddress, now, reason ?? null);
      } catch (err) {
        throw toHttpError(err);
      }
    },
  };
}
