import type { FastifyError, FastifyInstance } from 'fastify';
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

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'MALFORMED_BODY'],
  FST_ERR_VALIDATION: [400, 'INVALID_REQUEST'],
};

/**
 * Errors raised below the HTTP layer whose cause is the request itself (a page cursor the
 * server never handed out). Their message already says how to fix it, so it is sent as is.
 */
const CALLER_CODES: Record<string, number> = {
  CURSOR_INVALID: 400,
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send(errorBody(err.code, err.message));
    }
    const callerStatus = isWebpigError(err) ? CALLER_CODES[err.code] : undefined;
    if (callerStatus !== undefined && isWebpigError(err)) return reply.status(callerStatus).send(errorBody(err.code, err.message));
    const fastifyCode = 'code' in err && typeof err.code === 'string' ? FASTIFY_CODES[err.code] : undefined;
    if (fastifyCode) return reply.status(fastifyCode[0]).send(errorBody(fastifyCode[1], err.message));
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send(errorBody('BAD_REQUEST', err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
