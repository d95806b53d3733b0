// The shared HTTP errors live in src/core/http-errors.ts (the dashboard and the sandbox use them
// too); the server's modules import them from here.
export {
  errorBody,
  HttpError,
  httpFailureOf,
  installErrorHandler,
  requestError,
  type ErrorBody,
  type HttpFailure,
  type RequestErrorCode,
} from '../core/http-errors.js';
