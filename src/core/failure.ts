import type { CheckpointRecord, EventRecord, ErrorInfo } from './types.js';

/** Where and why an event failed: the stage (null when it failed outside any stage) and its error. */
export interface EventFailure {
  stage: string | null;
  error: ErrorInfo;
}

/**
 * The stage in error most recently, whatever its column (or none); else, for a dead or
 * retrying event, its last error with no stage (the pipeline's own code failed). The one
 * answer the event rows, the one-event retry's warning and the bulk preview's all read.
 */
export function eventFailure(event: EventRecord, checkpoints: readonly CheckpointRecord[]): EventFailure | null {
  const failed = checkpoints
    .filter((checkpoint) => checkpoint.status === 'error' && checkpoint.error)
    .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0];
  if (failed?.error) return { stage: failed.stage, error: failed.error };
  if ((event.status === 'dead' || event.status === 'retrying') && event.lastError) return { stage: null, error: event.lastError };
  return null;
}
