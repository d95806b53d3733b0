// The public API of the webpig package, exported by name. Internals are not exported.
export { definePipeline, DEFAULT_RETRY_DELAYS_MS, DEFAULT_STAGE_TIMEOUT_MS } from './core/pipeline.js';
export type {
  PipelineDefinition,
  StageDefinition,
  StageContext,
  StageLogger,
  RetryPolicy,
  EntityStateMachine,
} from './core/pipeline.js';
export { WebpigError, ConfigError, PermanentError, RetriableError, LeaseLostError } from './core/errors.js';
export type * from './core/types.js';
export type { Store } from './store/store.js';
