import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * MercadoPago: its notifications carry only an id, so a pipeline fetches the payment
 * (`GET /mercadopago/v1/payments/:id`) or subscription (`GET /mercadopago/preapproval/:id`).
 * Tests create those objects with `POST /mercadopago/payments` and `POST /mercadopago/preapprovals`
 * (any JSON object; `id` is generated when absent).
 *
 * Operations: `get_payment`, `get_preapproval`.
 */
const objectBody = z
  .object({ id: z.union([z.string().min(1).max(100), z.number().int().positive()]).optional() })
  .catchall(z.unknown());

export function registerMercadoPago(app: FastifyInstance, ctx: SandboxContext): void {
  for (const [collection, path, operation] of [
    ['payments', '/mercadopago/v1/payments/:id', 'get_payment'],
    ['preapprovals', '/mercadopago/preapproval/:id', 'get_preapproval'],
  ] as const) {
    app.post(`/mercadopago/${collection}`, async (request, reply) => {
      const body = parseInput(objectBody, request.body);
      const objectId = String(body.id ?? (collection === 'payments' ? randomInt(1e9, 9e9) : `2c938084${randomInt(1e9, 9e9)}`));
      const record = ctx.store.insert('mercadopago', collection, { ...JSON.parse(JSON.stringify(body)), id: objectId, objectId });
      return reply.status(201).send({ ...record, id: objectId });
    });

    app.get<{ Params: { id: string } }>(path, async (request, reply) => {
      const objectId = request.params.id;
      return runOperation(ctx, request, reply, {
        service: 'mercadopago',
        operation,
        effect: () => {
          const [found] = ctx.store.findBy('mercadopago', collection, 'objectId', objectId);
          if (!found) throw notFound(`${collection === 'payments' ? 'payment' : 'preapproval'} ${objectId}`);
          const { createdAt: _c, updatedAt: _u, objectId: _o, ...data } = found;
          return { status: 200, body: { ...data, id: collection === 'payments' && /^\d+$/.test(objectId) ? Number(objectId) : objectId } };
        },
      });
    });
  }
}
