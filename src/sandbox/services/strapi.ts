import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { fieldsOf, idParam, notFound, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * Strapi, the user's ledgers. Like real Strapi REST it has no Idempotency-Key and no upsert:
 * - cartera (receivables) of an agreement ("acuerdo"): `POST /strapi/carteras/:id/payments`
 *   applies a payment and adds it to `totalPaid` EVERY time it is called, so applying one
 *   payment twice shows as a double count (the seeds' bug). A caller must look at the
 *   cartera's `payments` (each carries its reference) before applying.
 *   `DELETE /strapi/carteras/:id/payments?reference=` takes a payment out again (a reversal)
 *   and subtracts it; a reference the cartera does not list is 404.
 * - facturación (sales) records: `POST` always creates; `GET ?reference=` finds; `PUT /:id`
 *   updates (and replaces: a field left out is reset). `status` is `paid` unless the record
 *   says `reversed`. A caller upserts by reference with find-then-create-or-update.
 *
 * Operations: `find_cartera`, `create_cartera`, `apply_payment`, `remove_payment`,
 * `find_facturacion`, `create_facturacion`, `update_facturacion`.
 */
const carteraBody = z.object({
  acuerdo: z.string().min(1).max(40),
  documentId: z.string().min(1).max(40),
  customerName: z.string().max(200).optional(),
  /** The agreement's total, in COP. */
  total: z.number().nonnegative(),
});

const paymentBody = z.object({
  reference: z.string().min(1).max(200),
  amount: z.number().positive(),
  paidAt: z.string().max(40).optional(),
});

const facturacionBody = z.object({
  reference: z.string().min(1).max(200),
  documentId: z.string().max(40).optional(),
  customerName: z.string().max(200).optional(),
  product: z.string().max(300).optional(),
  amount: z.number().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like COP').optional(),
  invoiceNumber: z.number().int().positive().nullable().optional(),
  status: z.enum(['paid', 'reversed']).optional(),
});

const paymentQuery = z.object({ reference: z.string().min(1).max(200) });
const carteraQuery = z.object({ acuerdo: z.string().min(1).max(40).optional() });
const facturacionQuery = z.object({ reference: z.string().min(1).max(200).optional() });

export function registerStrapi(app: FastifyInstance, ctx: SandboxContext): void {
  const { store } = ctx;

  app.get('/strapi/carteras', async (request, reply) => {
    const { acuerdo } = parseInput(carteraQuery, request.query, 'query');
    if (acuerdo === undefined) return store.list('strapi', 'carteras');
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'find_cartera',
      effect: () => ({ status: 200, body: { items: store.findBy('strapi', 'carteras', 'acuerdo', acuerdo) } }),
    });
  });

  app.post('/strapi/carteras', async (request, reply) => {
    const body = parseInput(carteraBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'create_cartera',
      effect: () => {
        const record = store.insert('strapi', 'carteras', {
          acuerdo: body.acuerdo,
          documentId: body.documentId,
          customerName: body.customerName ?? null,
          total: body.total,
          totalPaid: 0,
          balance: body.total,
          payments: [],
        }, 999);
        return { status: 201, body: record };
      },
    });
  });

  app.post<{ Params: { id: string } }>('/strapi/carteras/:id/payments', async (request, reply) => {
    const id = idParam(request.params.id, 'cartera id');
    const body = parseInput(paymentBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'apply_payment',
      effect: () => {
        const cartera = store.get('strapi', 'carteras', id);
        if (!cartera) throw notFound(`cartera ${id}`);
        const payments = Array.isArray(cartera.payments) ? cartera.payments : [];
        const totalPaid = Number(cartera.totalPaid) + body.amount;
        const payment: JsonObject = { reference: body.reference, amount: body.amount, paidAt: body.paidAt ?? ctx.now().toISOString() };
        const updated = store.update('strapi', 'carteras', id, {
          ...fieldsOf(cartera),
          payments: [...payments, payment],
          totalPaid,
          balance: Number(cartera.total) - totalPaid,
        });
        return { status: 200, body: updated };
      },
    });
  });

  app.delete<{ Params: { id: string } }>('/strapi/carteras/:id/payments', async (request, reply) => {
    const id = idParam(request.params.id, 'cartera id');
    const { reference } = parseInput(paymentQuery, request.query, 'query');
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'remove_payment',
      effect: () => {
        const cartera = store.get('strapi', 'carteras', id);
        if (!cartera) throw notFound(`cartera ${id}`);
        const payments = Array.isArray(cartera.payments) ? cartera.payments : [];
        const at = payments.findIndex((p) => typeof p === 'object' && p !== null && !Array.isArray(p) && p.reference === reference);
        const removed = payments[at] as JsonObject | undefined;
        if (!removed) throw notFound(`payment ${reference} in cartera ${id}`);
        const totalPaid = Number(cartera.totalPaid) - Number(removed.amount);
        const updated = store.update('strapi', 'carteras', id, {
          ...fieldsOf(cartera),
          payments: payments.filter((_, i) => i !== at),
          totalPaid,
          balance: Number(cartera.total) - totalPaid,
        });
        return { status: 200, body: updated };
      },
    });
  });

  app.get('/strapi/facturacions', async (request, reply) => {
    const { reference } = parseInput(facturacionQuery, request.query, 'query');
    if (reference === undefined) return store.list('strapi', 'facturacions');
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'find_facturacion',
      effect: () => ({ status: 200, body: { items: store.findBy('strapi', 'facturacions', 'reference', reference) } }),
    });
  });

  app.post('/strapi/facturacions', async (request, reply) => {
    const body = parseInput(facturacionBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'create_facturacion',
      effect: () => ({ status: 201, body: store.insert('strapi', 'facturacions', facturacionFields(body), 25264) }),
    });
  });

  app.put<{ Params: { id: string } }>('/strapi/facturacions/:id', async (request, reply) => {
    const id = idParam(request.params.id, 'facturación id');
    const body = parseInput(facturacionBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'strapi',
      operation: 'update_facturacion',
      effect: () => {
        if (!store.get('strapi', 'facturacions', id)) throw notFound(`facturación ${id}`);
        return { status: 200, body: store.update('strapi', 'facturacions', id, facturacionFields(body)) };
      },
    });
  });
}

function facturacionFields(body: z.infer<typeof facturacionBody>): JsonObject {
  return {
    reference: body.reference,
    documentId: body.documentId ?? null,
    customerName: body.customerName ?? null,
    product: body.product ?? null,
    amount: body.amount,
    currency: body.currency ?? 'COP',
    invoiceNumber: body.invoiceNumber ?? null,
    status: body.status ?? 'paid',
  };
}
