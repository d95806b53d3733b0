// The shared HTTP errors live in src/core/http-errors.ts (the dashboard and the sandbox use them
// too); the server's modules import them from here.
export { errorBody, HttpError, installErrorHandler, type ErrorBody } from '../core/http-errors.js';
