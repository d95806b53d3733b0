import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { notFound, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * MercadoPago: its notifications carry only an id, so a pipeline fetches the payment
 * (`GET /mercadopago/v1/payments/:id`), the subscription (`GET /mercadopago/preapproval/:id`)
 * or a subscription's recurring charge (`GET /mercadopago/authorized_payments/:id`, what a
 * `subscription_authorized_payment` notification names). Tests and the demo create those
 * objects with `POST /mercadopago/payments`, `/preapprovals` and `/authorized_payments` (any JSON
 * object; `id` is generated when absent; a POST with a known id replaces that object's state).
 *
 * Operations: `get_payment`, `get_preapproval`, `get_authorized_payment`.
 */
const objectBody = z.object({ id: z.union([z.string().min(1).max(100), z.number().int().positive()]).optional() }).catchall(z.unknown());

export function registerMercadoPago(app: FastifyInstance, ctx: SandboxContext): void {
  for (const [collection, path, operation, what] of [
    ['payments', '/mercadopago/v1/payments/:id', 'get_payment', 'payment'],
    ['preapprovals', '/mercadopago/preapproval/:id', 'get_preapproval', 'preapproval'],
    ['authorized_payments', '/mercadopago/authorized_payments/:id', 'get_authorized_payment', 'authorized payment'],
  ] as const) {
    // Payments and authorized payments have numeric ids at MercadoPago; preapprovals hex strings.
    const numeric = collection !== 'preapprovals';
    app.post(`/mercadopago/${collection}`, async (request, reply) => {
      const body = parseInput(objectBody, request.body);
      const objectId = String(body.id ?? (numeric ? randomInt(1e9, 9e9) : `2c938084${randomInt(1e9, 9e9)}`));
      const data = { ...(JSON.parse(JSON.stringify(body)) as JsonObject), id: objectId, objectId };
      // A known id is the object's new state (a preapproval cancelled, a payment approved):
      // MercadoPago reports the current state of an object, never an older copy.
      const [existing] = ctx.store.findBy('mercadopago', collection, 'objectId', objectId);
      if (existing) return reply.status(200).send({ ...ctx.store.update('mercadopago', collection, existing.id, data), id: objectId });
      return reply.status(201).send({ ...ctx.store.insert('mercadopago', collection, data), id: objectId });
    });

    app.get<{ Params: { id: string } }>(path, async (request, reply) => {
      const objectId = request.params.id;
      return runOperation(ctx, request, reply, {
        service: 'mercadopago',
        operation,
        effect: () => {
          const [found] = ctx.store.findBy('mercadopago', collection, 'objectId', objectId);
          if (!found) throw notFound(`${what} ${objectId}`);
          const { createdAt: _c, updatedAt: _u, objectId: _o, ...data } = found;
          return { status: 200, body: { ...data, id: numeric && /^\d+$/.test(objectId) ? Number(objectId) : objectId } };
        },
      });
    });
  }
}
