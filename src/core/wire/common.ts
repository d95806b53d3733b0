import { z } from 'zod';

/**
 * The pieces every /api reply shares, as zod schemas: the one statement of the wire contract.
 * Routes declare their replies with them (validated and serialized by fastify-type-provider-zod),
 * the OpenAPI document is generated from them, and the dashboard derives its types from them.
 * These modules import only zod: the dashboard's compiler reads them (type-only), so nothing of
 * the server (Node types, Buffer) may be reachable from here. The enums repeat core/types.ts on
 * purpose; a route returning a core record that no longer fits its schema fails to type-check.
 * Dates are `z.date()`: a Date on the server, an ISO-8601 string on the wire.
 */

export const jsonValue = z.json();
export const jsonObject = z.record(z.string(), jsonValue);

export const eventStatus = z.enum(['queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored']);
export const transactionStatus = z.enum(['accepted', 'rejected', 'pending', 'reversed']);
export const checkpointStatus = z.enum(['pending', 'processing', 'success', 'error', 'skipped']);

/** A label as the config defines it: one text, or texts by language. */
export const stageLabel = z.union([z.string(), z.object({ es: z.string().optional(), en: z.string().optional() })]);

export const errorInfo = z.object({
  message: z.string(),
  code: z.string().optional(),
  retriable: z.boolean(),
  /** HTTP status of the failed call, when the error came from one. */
  httpStatus: z.number().int().optional(),
});

export const skipReason = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('flag'), flag: z.string(), value: z.boolean() }),
  z.object({ kind: z.literal('dependency'), stage: z.string(), status: checkpointStatus }),
  z.object({
    kind: z.literal('condition'),
    detail: z.string(),
    texts: z.object({ es: z.string().optional(), en: z.string().optional() }).optional(),
  }),
]);

/** A page of a list: `nextCursor` is passed back as `?cursor=` (null: the last page). */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** Every error reply: `{ "error": { "code", "message" } }`. */
export const errorReply = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
