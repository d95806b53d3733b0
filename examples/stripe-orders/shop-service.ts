import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errorBody, HttpError } from '../../src/index.js';
import { SHOP_OPERATIONS, type ShopBackend, type ShopOperation } from './shop-backend.js';

/**
 * The example shop over HTTP, in the sandbox's style: everything under `/sandbox/shop/...`,
 * every collection listable as JSON, every effect keyed by an `Idempotency-Key` header (the
 * first reply is kept and replayed, marked `Idempotent-Replayed: true`; the same key with a
 * different body is a 422), and faults injectable per operation.
 *
 *   GET  /sandbox/shop/orders                 GET/PUT /sandbox/shop/orders/:orderId
 *   GET  /sandbox/shop/stock                  PUT     /sandbox/shop/stock/:sku {quantity}
 *   GET  /sandbox/shop/stock/adjustments?orderId=&reason=
 *   POST /sandbox/shop/stock/adjustments {orderId, reason, lines:[{sku, delta}]}
 *   GET/POST /sandbox/shop/fulfilments        GET/POST /sandbox/shop/emails
 *   GET/POST /sandbox/shop/faults {operation, mode, count}
 */
export interface ShopServiceOptions {
  backend: ShopBackend;
}

const lineSchema = z.object({ sku: z.string().min(1).max(100), quantity: z.number().int().positive() });

const orderUpdateSchema = z.object({
  eventId: z.string().min(1),
  state: z.string().min(1).nullable().optional(),
  stateOccurredAt: z.number().nullable().optional(),
  email: z.string().max(320).nullable().optional(),
  lines: z.array(lineSchema).nullable().optional(),
  amountMinor: z.number().int().nullable().optional(),
  currency: z.string().max(10).nullable().optional(),
  checkoutSessionId: z.string().nullable().optional(),
});

const adjustmentSchema = z.object({
  orderId: z.string().min(1),
  reason: z.enum(['sale', 'restore']),
  lines: z.array(z.object({ sku: z.string().min(1), delta: z.number().int() })).min(1),
});

const fulfilmentSchema = z.object({
  orderId: z.string().min(1),
  lines: z.array(lineSchema),
  email: z.string().nullable(),
});

const emailSchema = z.object({
  orderId: z.string().min(1),
  to: z.string().min(3).max(320),
  template: z.string().min(1).max(100),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
});

const faultSchema = z.object({
  operation: z.enum(SHOP_OPERATIONS as [ShopOperation, ...ShopOperation[]]),
  mode: z.enum(['fail', 'effect_then_fail']),
  count: z.number().int().positive().max(1000).default(1),
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new HttpError(400, 'INVALID_REQUEST', detail);
  }
  return parsed.data;
}

/**
 * Runs one effect at most once per Idempotency-Key: a retry with the same key and body gets
 * the first reply back without the effect running again. The look-up, the effect and the kept
 * reply are one synchronous database transaction, so two concurrent requests with one key cannot
 * both run the effect, and the reply survives a restart.
 */
function idempotent(
  backend: ShopBackend,
  operation: ShopOperation,
  request: FastifyRequest,
  reply: FastifyReply,
  effect: () => { statusCode: number; body: unknown },
): unknown {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw new HttpError(400, 'IDEMPOTENCY_KEY_REQUIRED', `${operation} needs an Idempotency-Key header (1–255 characters)`);
  }
  const fingerprint = JSON.stringify(request.body ?? null) + request.url;
  // One transaction: the kept reply and the effect commit together, so a crash cannot leave an
  // effect without its reply (which would let a retry repeat it).
  const outcome = backend.transaction(() => {
    const stored = backend.storedReply(operation, key);
    if (stored) return { kind: 'replay' as const, stored };
    const fault = backend.takeFault(operation);
    if (fault === 'fail') return { kind: 'failed' as const };
    const result = effect();
    backend.storeReply(operation, key, { fingerprint, ...result });
    return { kind: fault === 'effect_then_fail' ? ('done-then-fail' as const) : ('done' as const), result };
  });
  if (outcome.kind === 'replay') {
    if (outcome.stored.fingerprint !== fingerprint) {
      throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was used with a different request`);
    }
    reply.header('idempotent-replayed', 'true');
    return reply.status(outcome.stored.statusCode).send(outcome.stored.body);
  }
  if (outcome.kind === 'failed') throw new HttpError(503, 'FAULT_INJECTED', `${operation}: injected failure, nothing done`);
  if (outcome.kind === 'done-then-fail') {
    throw new HttpError(503, 'FAULT_INJECTED', `${operation}: injected failure after the effect`);
  }
  const { result } = outcome;
  return reply.status(result.statusCode).send(result.body);
}

export const shopServicePlugin: FastifyPluginAsync<ShopServiceOptions> = async (app: FastifyInstance, { backend }) => {
  // Encapsulated: answers this plugin's errors in webpig's `{error:{code,message}}` shape
  // without touching the host server's own handler.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (err instanceof HttpError) return reply.status(err.statusCode).send(errorBody(err.code, err.message));
    const status = typeof err.statusCode === 'number' && err.statusCode < 500 ? err.statusCode : 500;
    return reply.status(status).send(errorBody(status === 500 ? 'INTERNAL' : 'BAD_REQUEST', err.message));
  });

  app.get('/sandbox/shop/orders', async () => ({ items: backend.listOrders() }));

  app.get<{ Params: { orderId: string } }>('/sandbox/shop/orders/:orderId', async (request) => {
    const order = backend.getOrder(request.params.orderId);
    if (!order) throw new HttpError(404, 'ORDER_NOT_FOUND', `no order ${request.params.orderId}`);
    return order;
  });

  app.put<{ Params: { orderId: string } }>('/sandbox/shop/orders/:orderId', async (request) => {
    const update = parseBody(orderUpdateSchema, request.body);
    if (backend.takeFault('upsert_order') === 'fail') {
      throw new HttpError(503, 'FAULT_INJECTED', 'upsert_order: injected failure, nothing done');
    }
    return backend.upsertOrder(request.params.orderId, update);
  });

  app.get('/sandbox/shop/stock', async () => ({ items: backend.listStock() }));

  app.put<{ Params: { sku: string } }>('/sandbox/shop/stock/:sku', async (request) => {
    const { quantity } = parseBody(z.object({ quantity: z.number().int().min(0) }), request.body);
    backend.setStock(request.params.sku, quantity);
    return { sku: request.params.sku, quantity };
  });

  app.get<{ Querystring: { orderId?: string; reason?: string } }>('/sandbox/shop/stock/adjustments', async (request) => {
    const { orderId, reason } = parseBody(
      z.object({ orderId: z.string().optional(), reason: z.enum(['sale', 'restore']).optional() }),
      request.query,
    );
    return { items: backend.listAdjustments({ orderId, reason }) };
  });

  app.post('/sandbox/shop/stock/adjustments', async (request, reply) => {
    const input = parseBody(adjustmentSchema, request.body);
    return idempotent(backend, 'adjust_stock', request, reply, () => ({
      statusCode: 201,
      body: backend.adjustStock(input.orderId, input.reason, input.lines),
    }));
  });

  app.get('/sandbox/shop/fulfilments', async () => ({ items: backend.fulfilments }));

  app.post('/sandbox/shop/fulfilments', async (request, reply) => {
    const input = parseBody(fulfilmentSchema, request.body);
    return idempotent(backend, 'fulfil', request, reply, () => ({
      statusCode: 201,
      body: backend.fulfil(input.orderId, input.lines, input.email),
    }));
  });

  app.get('/sandbox/shop/emails', async () => ({ items: backend.emails }));

  app.post('/sandbox/shop/emails', async (request, reply) => {
    const input = parseBody(emailSchema, request.body);
    return idempotent(backend, 'send_email', request, reply, () => ({
      statusCode: 201,
      body: backend.sendEmail(input),
    }));
  });

  app.get('/sandbox/shop/faults', async () => ({ items: backend.listFaults() }));

  app.post('/sandbox/shop/faults', async (request, reply) => {
    const input = parseBody(faultSchema, request.body);
    backend.injectFault({ operation: input.operation, mode: input.mode, remaining: input.count });
    return reply.status(201).send({ items: backend.listFaults() });
  });
};
