import { errorMessage, WebpigError } from '../core/errors.js';

/** A pipeline's own code (match, notApplicable, the entity's targetState) threw. */
export class PipelineCodeError extends WebpigError {
  constructor(what: string, cause: unknown) {
    super('PIPELINE_CODE_ERROR', `${what} threw: ${errorMessage(cause)}`, { cause });
  }
}

/** Runs a pipeline's own code; what it throws becomes a PipelineCodeError (the event goes dead). */
export function userCode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new PipelineCodeError(what, err);
  }
}
