// The public API of the webpig package, exported by name. Internals are not exported.
export { definePipeline, DEFAULT_RETRY_DELAYS_MS, DEFAULT_STAGE_TIMEOUT_MS } from './core/pipeline.js';
export type {
  PipelineDefinition,
  StageDefinition,
  StageContext,
  StageLogger,
  StageHttp,
  HttpExchangeInput,
  StageLabel,
  StageEffects,
  RetryPolicy,
  EntityStateMachine,
} from './core/pipeline.js';
export { defineConfig } from './config/resolve.js';
export type { WebpigConfig, ColumnConfig, FlagConfig } from './config/types.js';
export { WebpigError, ConfigError, PermanentError, RetriableError, LeaseLostError, errorMessage } from './core/errors.js';
// Error replies for routes an app adds beside webpig's (examples/subscriptions/web-plugin.ts).
export { errorBody, HttpError } from './core/http-errors.js';
export { httpCall, type HttpCallReply, type HttpCallRequest } from './core/http-call.js';
export type { ErrorBody } from './core/http-errors.js';
export { HttpCallError, parseRetryAfter } from './engine/errors.js';
export { toE164, toE164OrUndefined, PhoneNumberError, COUNTRY_PLANS, DEFAULT_PHONE_COUNTRY } from './core/phone.js';
export { STAGE_RECORD_LIMITS } from './engine/stage-recorder.js';
export type * from './core/types.js';
export type { Store } from './store/store.js';
export type { AccessStore, IngestStore, JobStore, OperatorStore, StoreLifecycle, WorkerStore } from './store/store-roles.js';
export { openStore } from './store/open.js';
export { createWorker } from './engine/worker.js';
export type { Worker, WorkerOptions } from './engine/worker.js';
export { retryEvent, retryDead, rerunStage } from './engine/operations.js';
export { buildServer } from './service/app.js';
export type { BuildServerOptions } from './service/app.js';
export type { SourceConfig } from './sources/config.js';
// Signed deliveries exactly as each provider sends them: for your tests and `webpig verify`.
export { signStripe, signEpayco, signMercadopago, signCustom } from './sources/signing.js';
export type { SignedDelivery } from './sources/signing.js';
export type { VerifyDelivery } from './verify/run-verify.js';
// The sandbox's database, for a stand-in backend that keeps its records beside the fake
// providers' (examples/stripe-orders/shop-backend.ts): it survives a restarted demo.
export { fieldsOf } from './sandbox/operation.js';
export type { FaultMode, SandboxRecord, SandboxStore } from './sandbox/sandbox-store.js';
