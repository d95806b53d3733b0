import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchemaValidationError,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../http-errors.js';
import { errorReply } from '../../core/wire/common.js';

/**
 * The wire contract's machinery: every /api route declares its params, query, body and replies
 * as zod schemas (src/core/wire/ for replies); this validates requests with them, checks
 * and serializes replies with them, and words a bad request the one way the API always has:
 * 400 `INVALID_REQUEST`, "<field>: <what is wrong>".
 */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The parts of a request a schema validates (fastify's `SchemaErrorDataVar`). */
type RequestPart = 'body' | 'headers' | 'params' | 'querystring';

const PART_NAMES: Record<RequestPart, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** The first issue, as "field: message" (the part's name when the whole part is wrong). */
export function invalidRequest(errors: FastifySchemaValidationError[], part: RequestPart): HttpError {
  const issue = errors[0];
  const field = issue?.instancePath.replace(/^\//, '').replaceAll('/', '.') || PART_NAMES[part];
  return new HttpError(400, 'INVALID_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`);
}

/** Installs the zod compilers on the API's (encapsulated) instance and types its routes by their schemas. */
export function useZodContract(app: FastifyInstance): ApiApp {
  // A POST without a body reads as `{}`, so a missing field is named (and an optional body passes).
  app.addHook('preValidation', async (request) => {
    if ((request.body === undefined || request.body === null) && request.routeOptions.schema?.body) request.body = {};
    refuseRepeatedParameters(request.query, request.routeOptions.schema?.querystring);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setSchemaErrorFormatter((errors, part) => invalidRequest(errors, part));
  return app.withTypeProvider<ZodTypeProvider>();
}

/**
 * `?limit=1&limit=2` arrives as an array, which a schema for one value words as nonsense
 * ("expected number, received NaN"): say the parameter is repeated instead.
 */
function refuseRepeatedParameters(query: unknown, schema: unknown): void {
  if (!(schema instanceof z.ZodObject) || typeof query !== 'object' || query === null) return;
  const fields: Record<string, z.ZodType> = schema.shape;
  for (const [name, value] of Object.entries(query)) {
    const field = fields[name];
    if (!Array.isArray(value) || !field || field.safeParse(value).success) continue;
    throw new HttpError(400, 'INVALID_REQUEST', `${name}: given ${value.length} times in the query; give it once`);
  }
}

/** A route's replies: `ok` for 200, and the error shape every 4xx shares. */
export function replies<T extends z.ZodType>(ok: T) {
  return { 200: ok, '4xx': errorReply } as const;
}

/**
 * The reason a change requires (kept in the audit log and the history): trimmed, not empty, at
 * most 500 characters. Missing or blank, the message says to give one, with an example.
 */
export function requiredReason(example: string) {
  return z
    .string({ message: `reason is required: say why, e.g. "${example}"` })
    .trim()
    .min(1, `reason must not be empty: say why, e.g. "${example}"`)
    .max(500, 'reason must be at most 500 characters');
}

/** `:id` of an event or alert: a positive integer, as a number. */
export const idParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a positive integer')
    .transform(Number)
    .refine((id) => Number.isSafeInteger(id) && id > 0, 'must be a positive integer'),
});
