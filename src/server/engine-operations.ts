import type { PipelineDefinition } from '../core/pipeline.js';
import { StoreError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { EventNotFoundError, OperationRefusedError, rerunStage, retryEvent } from '../engine/operations.js';
import type { EventOperations } from './api/operations.js';
import { HttpError } from './http-errors.js';

/**
 * The API's retry and re-run buttons call the engine's operations (the same functions the CLI
 * uses, with their audit entries and alerts); this adapter only turns their typed errors into
 * HTTP statuses.
 */
export function engineOperations(store: Store, pipelines: readonly PipelineDefinition[]): EventOperations {
  return {
    retryEvent: ({ eventId, actor, remoteAddress, now }) =>
      asHttp(() => retryEvent(store, eventId, actor, remoteAddress, now)),
    rerunStage: ({ eventId, stage, actor, remoteAddress, now }) =>
      asHttp(() => rerunStage(store, pipelines, eventId, stage, actor, remoteAddress, now)),
  };
}

async function asHttp<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof EventNotFoundError) throw new HttpError(404, 'EVENT_NOT_FOUND', err.message, { cause: err });
    if (err instanceof StoreError && err.code === 'NOT_RETRIABLE') throw new HttpError(409, err.code, err.message, { cause: err });
    if (err instanceof OperationRefusedError) {
      throw new HttpError(err.code === 'STAGE_UNKNOWN' ? 404 : 409, err.code, err.message, { cause: err });
    }
    throw err;
  }
}
