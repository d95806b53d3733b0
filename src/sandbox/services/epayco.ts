import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBody } from '../../server/http-errors.js';
import { fieldsOf, parseInput, runOperation, type OperationReply, type SandboxContext } from '../operation.js';

/**
 * ePayco's server-side check: `GET /epayco/validation/v1/reference/:ref` returns the `x_*`
 * fields of a transaction, as `https://secure.epayco.co/validation/v1/reference/{ref}` does.
 * Tests and the traffic generator register transactions with `POST /epayco/transactions`
 * (upsert by x_ref_payco: a later POST is the payment's new state, as ePayco reports the
 * current state of a reference).
 *
 * Operations: `validate_reference`.
 */
const transactionBody = z
  .object({ x_ref_payco: z.string().min(1).max(100) })
  .catchall(z.string().max(1000));

export function registerEpayco(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/epayco/transactions', async (request, reply) => {
    const body = parseInput(transactionBody, request.body);
    const [existing] = ctx.store.findBy('epayco', 'transactions', 'x_ref_payco', body.x_ref_payco);
    if (existing) return reply.status(200).send(ctx.store.update('epayco', 'transactions', existing.id, body));
    return reply.status(201).send(ctx.store.insert('epayco', 'transactions', body));
  });

  app.get<{ Params: { ref: string } }>('/epayco/validation/v1/reference/:ref', async (request, reply) => {
    const ref = request.params.ref;
    return runOperation(ctx, request, reply, {
      service: 'epayco',
      operation: 'validate_reference',
      effect: (): OperationReply => {
        const [found] = ctx.store.findBy('epayco', 'transactions', 'x_ref_payco', ref);
        if (!found) {
          return { status: 404, body: { success: false, ...errorBody('NOT_FOUND', `reference ${ref} not found`) } };
        }
        return { status: 200, body: { success: true, title_response: 'OK', data: fieldsOf(found) } };
      },
    });
  });
}
