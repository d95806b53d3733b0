import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { fieldsOf, runOperation, type SandboxContext } from '../operation.js';
import type { SandboxRecord, SandboxStore } from '../sandbox-store.js';
import {
  listReply,
  newDocumentId,
  parseDataBody,
  parseListQuery,
  sendStrapiError,
  StrapiError,
  strapiNotFound,
  toDocument,
} from './strapi-rest.js';

/**
 * Strapi v5, the user's ledgers, with Strapi's own REST shape (strapi-rest.ts) under
 * `/sandbox/strapi/api` (the REST prefix of a real Strapi is `/api`). Like real Strapi it has no
 * Idempotency-Key and no upsert:
 * - cartera (receivables) of an agreement ("acuerdo"), with its payments as a repeatable
 *   component (`populate=payments` to see them). `POST /api/carteras/:documentId/payments`
 *   (a custom route of the user's Strapi, https://docs.strapi.io/cms/backend-customization/routes:
 *   the core PUT would replace the whole payments list, so two payments of one agreement at
 *   once could lose one) applies a payment and adds it to `totalPaid` EVERY time it is called,
 *   so applying one payment twice shows as a double count (the seeds' bug). A caller must look
 *   at the cartera's payments (each carries its reference) before applying.
 *   `DELETE /api/carteras/:documentId/payments?reference=` (the same custom route) takes a
 *   payment out again (a reversal) and subtracts it; a reference the cartera does not list is 404.
 *   `DELETE /api/carteras/:documentId` (Strapi's core delete) removes a cartera: 204. Nothing
 *   stops two carteras of one agreement, as in a real Strapi without a unique `acuerdo`.
 * - facturación (sales) records: `POST` always creates; `GET ?filters[reference][$eq]=` finds;
 *   `PUT /:documentId` updates the fields it is given (Strapi's update is partial). `status` is
 *   `paid` unless the record says `reversed`.
 *
 * Operations: `find_cartera`, `create_cartera`, `delete_cartera`, `apply_payment`, `remove_payment`,
 * `find_facturacion`, `create_facturacion`, `update_facturacion`.
 */
const carteraData = z.strictObject({
  acuerdo: z.string().min(1).max(40),
  /** The customer's cédula. */
  cedula: z.string().min(1).max(40),
  customerName: z.string().max(200).nullable().optional(),
  /** E.164, e.g. +573001234567. */
  phone: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'an E.164 phone number like +573001234567')
    .nullable()
    .optional(),
  /** The agreement's total, in COP. */
  total: z.number().nonnegative(),
});

const paymentData = z.strictObject({
  reference: z.string().min(1).max(200),
  amount: z.number().positive(),
  paidAt: z.string().max(40).optional(),
});

const facturacionFields = {
  reference: z.string().min(1).max(200),
  cedula: z.string().max(40).nullable(),
  customerName: z.string().max(200).nullable(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'an E.164 phone number like +573001234567')
    .nullable(),
  product: z.string().max(300).nullable(),
  amount: z.number().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like COP'),
  invoiceNumber: z.number().int().positive().nullable(),
  status: z.enum(['paid', 'reversed']),
};
const facturacionCreate = z.strictObject(facturacionFields).partial().required({ reference: true, amount: true });
const facturacionUpdate = z.strictObject(facturacionFields).partial();

const CARTERA_FILTERS = ['acuerdo', 'cedula'] as const;
const FACTURACION_FILTERS = ['reference', 'cedula', 'invoiceNumber', 'status'] as const;
/** Filter fields every record holds as a non-null string (the schemas above): found by index. */
const CARTERA_TEXT_FIELDS = ['acuerdo', 'cedula'] as const;
const FACTURACION_TEXT_FIELDS = ['reference'] as const;
const removePaymentQuery = z.strictObject({ reference: z.string().min(1).max(200) });
const CARTERA_COMPONENTS = ['payments'] as const;

type Handler<P> = (request: FastifyRequest<{ Params: P }>, reply: FastifyReply) => Promise<FastifyReply | JsonObject>;

/** Strapi's errors in Strapi's shape; anything else goes to the sandbox's error handler. */
function strapiRoute<P>(handler: Handler<P>): Handler<P> {
  return async (request, reply) => {
    try {
      return await handler(request, reply);
    } catch (err) {
      if (err instanceof StrapiError) return sendStrapiError(reply, err);
      throw err;
    }
  };
}

export function registerStrapi(app: FastifyInstance, ctx: SandboxContext): void {
  const { store } = ctx;
  const byDocumentId = (collection: string, documentId: string): SandboxRecord => {
    const [record] = store.findBy('strapi', collection, 'documentId', documentId);
    if (!record) throw strapiNotFound();
    return record;
  };
  const run = (request: FastifyRequest, reply: FastifyReply, operation: string, effect: () => { status: number; body: JsonObject }) =>
    runOperation(ctx, request, reply, { service: 'strapi', operation, effect });

  app.get(
    '/strapi/api/carteras',
    strapiRoute(async (request, reply) => {
      const query = parseListQuery(request.query, CARTERA_FILTERS);
      return run(request, reply, 'find_cartera', () => {
        const found = filtered(candidates(store, 'carteras', CARTERA_TEXT_FIELDS, query.filters), query.filters);
        return { status: 200, body: listReply(found.map((c) => toDocument(c, CARTERA_COMPONENTS, query.populate))) };
      });
    }),
  );

  app.post(
    '/strapi/api/carteras',
    strapiRoute(async (request, reply) => {
      const data = parseDataBody(carteraData, request.body);
      return run(request, reply, 'create_cartera', () => {
        const record = store.insert(
          'strapi',
          'carteras',
          {
            documentId: newDocumentId(),
            ...data,
            customerName: data.customerName ?? null,
            phone: data.phone ?? null,
            totalPaid: 0,
            balance: data.total,
            payments: [],
          },
          999,
        );
        return { status: 201, body: { data: toDocument(record, CARTERA_COMPONENTS, new Set()), meta: {} } };
      });
    }),
  );

  app.post<{ Params: { documentId: string } }>(
    '/strapi/api/carteras/:documentId/payments',
    strapiRoute(async (request, reply) => {
      const data = parseDataBody(paymentData, request.body);
      return run(request, reply, 'apply_payment', () => {
        const cartera = byDocumentId('carteras', request.params.documentId);
        const payments = Array.isArray(cartera.payments) ? cartera.payments : [];
        const totalPaid = Number(cartera.totalPaid) + data.amount;
        const payment: JsonObject = { reference: data.reference, amount: data.amount, paidAt: data.paidAt ?? ctx.now().toISOString() };
        const updated = store.update('strapi', 'carteras', cartera.id, {
          ...fieldsOf(cartera),
          payments: [...payments, payment],
          totalPaid,
          balance: Number(cartera.total) - totalPaid,
        });
        return { status: 200, body: { data: toDocument(updated, CARTERA_COMPONENTS, new Set(['payments'])), meta: {} } };
      });
    }),
  );

  // Strapi 5's core delete: 204, no body.
  app.delete<{ Params: { documentId: string } }>(
    '/strapi/api/carteras/:documentId',
    strapiRoute(async (request, reply) =>
      run(request, reply, 'delete_cartera', () => {
        const cartera = byDocumentId('carteras', request.params.documentId);
        store.remove('strapi', 'carteras', cartera.id);
        return { status: 204, body: {} };
      }),
    ),
  );

  app.delete<{ Params: { documentId: string } }>(
    '/strapi/api/carteras/:documentId/payments',
    strapiRoute(async (request, reply) => {
      const parsed = removePaymentQuery.safeParse(request.query ?? {});
      if (!parsed.success)
        throw new StrapiError(400, 'ValidationError', 'reference: the reference of the payment to take out is required', {
          key: 'reference',
          source: 'query',
        });
      const { reference } = parsed.data;
      return run(request, reply, 'remove_payment', () => {
        const cartera = byDocumentId('carteras', request.params.documentId);
        const payments = Array.isArray(cartera.payments) ? cartera.payments : [];
        const at = payments.findIndex((p) => typeof p === 'object' && p !== null && !Array.isArray(p) && p.reference === reference);
        const removed = payments[at] as JsonObject | undefined;
        if (!removed) throw strapiNotFound();
        const totalPaid = Number(cartera.totalPaid) - Number(removed.amount);
        const updated = store.update('strapi', 'carteras', cartera.id, {
          ...fieldsOf(cartera),
          payments: payments.filter((_, i) => i !== at),
          totalPaid,
          balance: Number(cartera.total) - totalPaid,
        });
        return { status: 200, body: { data: toDocument(updated, CARTERA_COMPONENTS, new Set(['payments'])), meta: {} } };
      });
    }),
  );

  app.get(
    '/strapi/api/facturacions',
    strapiRoute(async (request, reply) => {
      const query = parseListQuery(request.query, FACTURACION_FILTERS);
      return run(request, reply, 'find_facturacion', () => {
        const found = filtered(candidates(store, 'facturacions', FACTURACION_TEXT_FIELDS, query.filters), query.filters);
        return { status: 200, body: listReply(found.map((f) => toDocument(f, [], query.populate))) };
      });
    }),
  );

  app.post(
    '/strapi/api/facturacions',
    strapiRoute(async (request, reply) => {
      const data = parseDataBody(facturacionCreate, request.body);
      return run(request, reply, 'create_facturacion', () => {
        const record = store.insert('strapi', 'facturacions', { documentId: newDocumentId(), ...emptyFacturacion(), ...data }, 25264);
        return { status: 201, body: { data: toDocument(record, [], new Set()), meta: {} } };
      });
    }),
  );

  app.put<{ Params: { documentId: string } }>(
    '/strapi/api/facturacions/:documentId',
    strapiRoute(async (request, reply) => {
      const data = parseDataBody(facturacionUpdate, request.body);
      return run(request, reply, 'update_facturacion', () => {
        const existing = byDocumentId('facturacions', request.params.documentId);
        const updated = store.update('strapi', 'facturacions', existing.id, { ...fieldsOf(existing), ...data });
        return { status: 200, body: { data: toDocument(updated, [], new Set()), meta: {} } };
      });
    }),
  );
}

function emptyFacturacion(): JsonObject {
  return { cedula: null, customerName: null, phone: null, product: null, currency: 'COP', invoiceNumber: null, status: 'paid' };
}

/**
 * The records a filter can match: those with the filtered text field's value (one index probe),
 * else the whole collection. `filtered` then applies every filter as before.
 */
function candidates(
  store: SandboxStore,
  collection: string,
  textFields: readonly string[],
  filters: Record<string, string>,
): SandboxRecord[] {
  const field = textFields.find((name) => filters[name] !== undefined);
  return field === undefined ? store.list('strapi', collection) : store.findBy('strapi', collection, field, filters[field]!);
}

/** The records whose fields equal every filter (values compared as text: a query string has no types). */
function filtered(records: SandboxRecord[], filters: Record<string, string>): SandboxRecord[] {
  return records.filter((record) => Object.entries(filters).every(([field, value]) => String(record[field]) === value));
}
