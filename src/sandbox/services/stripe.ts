import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * Stripe: retrieve a PaymentIntent (`GET /stripe/v1/payment_intents/:id`) or a Checkout
 * Session (`GET /stripe/v1/checkout/sessions/:id`), as a pipeline does to confirm an event.
 * Tests create them with `POST /stripe/payment_intents` and `POST /stripe/checkout_sessions`
 * (any JSON object; `id` is generated when absent; a known `id` replaces that object's state).
 *
 * Operations: `retrieve_payment_intent`, `retrieve_checkout_session`.
 */
const objectBody = z.object({ id: z.string().min(1).max(255).optional() }).catchall(z.unknown());

export function registerStripe(app: FastifyInstance, ctx: SandboxContext): void {
  for (const [collection, path, operation, prefix, object] of [
    ['payment_intents', '/stripe/v1/payment_intents/:id', 'retrieve_payment_intent', 'pi_', 'payment_intent'],
    ['checkout_sessions', '/stripe/v1/checkout/sessions/:id', 'retrieve_checkout_session', 'cs_test_', 'checkout.session'],
  ] as const) {
    app.post(`/stripe/${collection}`, async (request, reply) => {
      const body = parseInput(objectBody, request.body);
      const objectId = body.id ?? `${prefix}${randomBytes(12).toString('hex')}`;
      // `objectId` keeps Stripe's id visible in the listing, where `id` is the sandbox's row number.
      const data = { ...JSON.parse(JSON.stringify(body)), id: objectId, objectId, object };
      // A known id is the object's new state (a payment refunded, canceled): Stripe has one object per id.
      const [known] = ctx.store.findBy('stripe', collection, 'objectId', objectId);
      if (known) return reply.status(200).send({ ...ctx.store.update('stripe', collection, known.id, data), id: objectId });
      const record = ctx.store.insert('stripe', collection, data);
      return reply.status(201).send({ ...record, id: objectId });
    });

    app.get<{ Params: { id: string } }>(path, async (request, reply) => {
      const objectId = request.params.id;
      return runOperation(ctx, request, reply, {
        service: 'stripe',
        operation,
        effect: () => {
          const [found] = ctx.store.findBy('stripe', collection, 'objectId', objectId);
          if (!found) throw notFound(`${object} ${objectId}`);
          const { createdAt: _c, updatedAt: _u, objectId: _o, ...data } = found;
          return { status: 200, body: { ...data, id: objectId } };
        },
      });
    });
  }
}
