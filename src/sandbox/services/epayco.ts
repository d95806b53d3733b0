import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBody } from '../../core/http-errors.js';
import { fieldsOf, parseInput, runOperation, type OperationReply, type SandboxContext } from '../operation.js';

/**
 * ePayco's server-side check: `GET /epayco/validation/v1/reference/:ref` answers as
 * `https://secure.epayco.co/validation/v1/reference/{ref}` does —
 * `{ success, title_response, text_response, last_action, data: { x_ref_payco, x_id_invoice,
 * x_cod_transaction_state, x_cod_response, x_amount, x_currency_code, … } }` — with the true,
 * current state of the payment. Payments are made (and moved to a new state) with
 * `POST /epayco/transactions` (upsert by x_ref_payco: a later POST is the payment's new
 * state); the traffic generator and the tests make each payment there before they send its
 * confirmation, as ePayco knows a payment before it confirms it. webpig's ePayco source
 * validates every confirmation here (the demo points `validation.baseUrl` at it).
 *
 * Operations: `validate_reference`.
 */
const transactionBody = z.object({ x_ref_payco: z.string().min(1).max(100) }).catchall(z.string().max(1000));

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
          const body = {
            success: false,
            title_response: 'Error',
            text_response: `No se encontró la referencia ${ref}`,
            last_action: 'Consultar transaccion',
          };
          return { status: 404, body: { ...body, ...errorBody('NOT_FOUND', `reference ${ref} not found`) } };
        }
        return {
          status: 200,
          body: {
            success: true,
            title_response: 'Transaccion consultada',
            text_response: 'Transaccion consultada con exito',
            last_action: 'Consultar transaccion',
            data: fieldsOf(found),
          },
        };
      },
    });
  });
}
