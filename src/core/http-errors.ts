import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isWebpigError, WebpigError } from './errors.js';

/**
 * Handlers throw HttpError; this module is the one place that turns errors into replies.
 * Every error reply has the shape `{ "error": { "code", "message" } }`. It lives in core so
 * that everything that answers HTTP (the server, the dashboard's plugin, the sandbox) shares it
 * without importing the server.
 */
export class HttpError extends WebpigError {
  readonly statusCode: number;

  constructor(statusCode: number, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * The one table from error codes to HTTP statuses, for the errors answered with their own
 * code and message: the request's own fault (the message says how to fix it), or a 503 the
 * sender should retry after. The webhook endpoint (server/ingest) answers, logs and counts its
 * refusals by it, and a source's refusal (SourceError, src/sources) takes its status from it.
 * Errors with other codes (a store or engine failure) are 500s whose message stays in the log.
 */
const HTTP_STATUS_BY_CODE = {
  // A request the API cannot read.
  INVALID_REQUEST: 400,
  CURSOR_INVALID: 400,
  // A webhook delivery refused before it is stored: by its source (SourceError) or by the endpoint.
  MALFORMED_BODY: 400,
  MISSING_FIELD: 400,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_OUT_OF_TOLERANCE: 401,
  VALIDATION_MISMATCH: 401,
  UNKNOWN_SOURCE: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // Not stored, and the provider should deliver it again later: 503 is retried, 4xx is not.
  VALIDATION_UNAVAILABLE: 503,
  BACKLOG_FULL: 503,
  COMMIT_FAILED: 503,
} as const;

/** A code of the table: an error the request caused, answered with its own status. */
export type RequestErrorCode = keyof typeof HTTP_STATUS_BY_CODE;

/** Fastify's `maxParamLength` (its default, which the server keeps): a longer path parameter is refused. */
const FASTIFY_MAX_PARAM_LENGTH = 100;

/**
 * Fastify's own refusals (raised before a handler runs), under webpig's codes and, where
 * Fastify's words echo the input (a whole path parameter) or do not say how to fix it, in ours.
 * Webhook routes read every body as raw bytes (server/ingest), so the JSON refusals are the
 * API's: INVALID_REQUEST, as docs/api.md says, not the webhooks' MALFORMED_BODY.
 */
const FASTIFY_REFUSALS: Record<string, { code: RequestErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the body must be JSON: send Content-Type: application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'INVALID_REQUEST',
    message: 'body: not valid JSON; check its syntax (double quotes around names and strings, no trailing comma)',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_REQUEST',
    message: 'body: empty, but Content-Type is application/json; send a JSON object (at least {}) or leave Content-Type out',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED_BODY' },
  FST_ERR_VALIDATION: { code: 'INVALID_REQUEST' },
  // Raised by the router, before any route: answered through `answerFrameworkError` below.
  FST_ERR_BAD_URL: {
    code: 'INVALID_REQUEST',
    message: 'the URL path is not valid: each % must begin a %XX escape of UTF-8 bytes (e.g. %C3%A9 for é, %25 for % itself)',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'INVALID_REQUEST',
    message: `a part of the URL path is longer than ${FASTIFY_MAX_PARAM_LENGTH} characters: no route takes one that long`,
  },
};

/** The status a request error's code is answered with. */
export function httpStatusOf(code: RequestErrorCode): number {
  return HTTP_STATUS_BY_CODE[code];
}

function isRequestErrorCode(code: string): code is RequestErrorCode {
  return Object.prototype.hasOwnProperty.call(HTTP_STATUS_BY_CODE, code);
}

/** An HttpError whose status is the table's for its code. */
export function requestError(code: RequestErrorCode, message: string, options?: { cause?: unknown }): HttpError {
  return new HttpError(HTTP_STATUS_BY_CODE[code], code, message, options);
}

/** How an error is answered: its status, and the code and message of the body. */
export interface HttpFailure {
  statusCode: number;
  code: string;
  message: string;
  /** An error nobody meant to answer with (a bug, a failure below): logged, its message not sent. */
  unexpected?: true;
}

/** The reply for any error thrown while answering a request (the only place that decides it). */
export function httpFailureOf(err: FastifyError | Error): HttpFailure {
  if (err instanceof HttpError) return { statusCode: err.statusCode, code: err.code, message: err.message };
  if (isWebpigError(err) && isRequestErrorCode(err.code)) {
    return { statusCode: HTTP_STATUS_BY_CODE[err.code], code: err.code, message: err.message };
  }
  const refusal = 'code' in err && typeof err.code === 'string' ? FASTIFY_REFUSALS[err.code] : undefined;
  if (refusal) return { statusCode: HTTP_STATUS_BY_CODE[refusal.code], code: refusal.code, message: refusal.message ?? err.message };
  const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) return { statusCode: status, code: 'BAD_REQUEST', message: err.message };
  return { statusCode: 500, code: 'INTERNAL', message: 'internal error', unexpected: true };
}

function sendFailure(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const failure = httpFailureOf(err);
  if (failure.unexpected) request.log.error({ err }, 'unhandled error');
  return reply.status(failure.statusCode).send(errorBody(failure.code, failure.message));
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(sendFailure);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}

/**
 * Fastify's `frameworkErrors` option: the refusals its router makes before any route is found
 * (a malformed %-escape, a path parameter over the length limit) never reach the error handler,
 * and Fastify's own reply has another shape and echoes the path back. Pass this to `Fastify()`
 * so they are answered like every other error.
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendFailure(err, request, reply);
}
