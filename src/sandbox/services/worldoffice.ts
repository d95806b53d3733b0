import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBody } from '../../core/http-errors.js';
import { fieldsOf, idParam, notFound, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * WorldOffice ERP. Like the real one it has NO Idempotency-Key support: creating an invoice
 * twice makes two invoices (the seeds' incident: 25290 and the duplicate 25292). The only way
 * to avoid a duplicate is to look the invoice up by our reference first
 * (`GET /worldoffice/invoices?reference=`). Accounting an invoice or emitting it to the DIAN a
 * second time is refused with 409 (`ALREADY_ACCOUNTED`, `ALREADY_EMITTED`) and the existing
 * result, as an ERP refuses to post a document twice.
 *
 * A credit note ("nota crédito") is posted against an invoice like the invoice itself: no
 * Idempotency-Key, so posting it twice makes two credit notes; look it up by the invoice first
 * (`GET /worldoffice/credit-notes?invoiceId=`).
 *
 * Operations: `find_or_create_customer`, `create_invoice`, `find_invoice`, `account_invoice`,
 * `emit_dian`, `create_credit_note`, `find_credit_note`.
 */
const customerBody = z.object({
  documentId: z.string().min(1).max(40),
  name: z.string().min(1).max(200),
  email: z.string().max(320).optional(),
  phone: z.string().max(40).optional(),
});

const invoiceBody = z.object({
  customerId: z.number().int().positive(),
  reference: z.string().min(1).max(200),
  amount: z.number().nonnegative(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like COP')
    .optional(),
  description: z.string().max(500).optional(),
});

const invoiceQuery = z.object({ reference: z.string().min(1).max(200).optional() });

const creditNoteBody = z.object({
  invoiceId: z.number().int().positive(),
  amount: z.number().positive(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like COP')
    .optional(),
  /** Why the invoice is credited, printed on the note (e.g. "Reversión del pago 373"). */
  reason: z.string().min(1).max(500),
});

const creditNoteQuery = z.object({ invoiceId: z.coerce.number().int().positive().optional() });

export function registerWorldOffice(app: FastifyInstance, ctx: SandboxContext): void {
  const { store } = ctx;

  app.post('/worldoffice/customers', async (request, reply) => {
    const body = parseInput(customerBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'find_or_create_customer',
      effect: () => {
        const [existing] = store.findBy('worldoffice', 'customers', 'documentId', body.documentId);
        if (existing) return { status: 200, body: { ...existing, created: false } };
        const record = store.insert('worldoffice', 'customers', {
          documentId: body.documentId,
          name: body.name,
          email: body.email ?? null,
          phone: body.phone ?? null,
        });
        return { status: 201, body: { ...record, customerCode: `CLI-${record.id}`, created: true } };
      },
    });
  });

  app.post('/worldoffice/invoices', async (request, reply) => {
    const body = parseInput(invoiceBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'create_invoice',
      // No idempotencyKey on purpose: the real WorldOffice ignores it.
      effect: () => {
        if (!store.get('worldoffice', 'customers', body.customerId)) throw notFound(`customer ${body.customerId}`);
        const record = store.insert(
          'worldoffice',
          'invoices',
          {
            number: 0,
            customerId: body.customerId,
            reference: body.reference,
            amount: body.amount,
            currency: body.currency ?? 'COP',
            description: body.description ?? null,
            accountingId: null,
            cufe: null,
          },
          25290,
        );
        const numbered = store.update('worldoffice', 'invoices', record.id, { ...fieldsOf(record), number: record.id });
        return { status: 201, body: numbered };
      },
    });
  });

  app.get('/worldoffice/invoices', async (request, reply) => {
    const { reference } = parseInput(invoiceQuery, request.query, 'query');
    if (reference === undefined) return store.list('worldoffice', 'invoices');
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'find_invoice',
      effect: () => ({ status: 200, body: { items: store.findBy('worldoffice', 'invoices', 'reference', reference) } }),
    });
  });

  app.post<{ Params: { id: string } }>('/worldoffice/invoices/:id/accounting', async (request, reply) => {
    const id = idParam(request.params.id, 'invoice id');
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'account_invoice',
      effect: () => {
        const invoice = store.get('worldoffice', 'invoices', id);
        if (!invoice) throw notFound(`invoice ${id}`);
        if (typeof invoice.accountingId === 'number') {
          return {
            status: 409,
            body: { ...errorBody('ALREADY_ACCOUNTED', `invoice ${id} is already accounted`), accountingId: invoice.accountingId },
          };
        }
        const entry = store.insert('worldoffice', 'accountings', {
          invoiceId: id,
          amount: Number(invoice.amount),
          debit: '130505',
          credit: '413505',
        });
        store.update('worldoffice', 'invoices', id, { ...fieldsOf(invoice), accountingId: entry.id });
        return { status: 201, body: { ...entry, accountingId: entry.id } };
      },
    });
  });

  app.post<{ Params: { id: string } }>('/worldoffice/invoices/:id/dian', async (request, reply) => {
    const id = idParam(request.params.id, 'invoice id');
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'emit_dian',
      effect: () => {
        const invoice = store.get('worldoffice', 'invoices', id);
        if (!invoice) throw notFound(`invoice ${id}`);
        if (typeof invoice.cufe === 'string') {
          return {
            status: 409,
            body: { ...errorBody('ALREADY_EMITTED', `invoice ${id} was already sent to the DIAN`), cufe: invoice.cufe },
          };
        }
        if (typeof invoice.accountingId !== 'number') {
          return { status: 409, body: { ...errorBody('NOT_ACCOUNTED', `invoice ${id} must be accounted before DIAN emission`) } };
        }
        // The CUFE is a SHA-384 over the invoice's data, as the DIAN's is.
        const cufe = createHash('sha384').update(`${invoice.number}|${invoice.amount}|${invoice.reference}`).digest('hex');
        const emission = store.insert('worldoffice', 'emissions', { invoiceId: id, cufe, status: 'accepted' });
        store.update('worldoffice', 'invoices', id, { ...fieldsOf(invoice), cufe });
        return { status: 201, body: { ...emission } };
      },
    });
  });

  registerCreditNotes(app, ctx);
}

function registerCreditNotes(app: FastifyInstance, ctx: SandboxContext): void {
  const { store } = ctx;

  app.post('/worldoffice/credit-notes', async (request, reply) => {
    const body = parseInput(creditNoteBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'create_credit_note',
      // No idempotencyKey, as for invoices: a second POST is a second credit note.
      effect: () => {
        const invoice = store.get('worldoffice', 'invoices', body.invoiceId);
        if (!invoice) throw notFound(`invoice ${body.invoiceId}`);
        const record = store.insert(
          'worldoffice',
          'credit_notes',
          {
            number: 0,
            invoiceId: body.invoiceId,
            invoiceNumber: Number(invoice.number),
            customerId: Number(invoice.customerId),
            reference: String(invoice.reference),
            amount: body.amount,
            currency: body.currency ?? 'COP',
            reason: body.reason,
          },
          1001,
        );
        return { status: 201, body: store.update('worldoffice', 'credit_notes', record.id, { ...fieldsOf(record), number: record.id }) };
      },
    });
  });

  app.get('/worldoffice/credit-notes', async (request, reply) => {
    const { invoiceId } = parseInput(creditNoteQuery, request.query, 'query');
    if (invoiceId === undefined) return store.list('worldoffice', 'credit_notes');
    return runOperation(ctx, request, reply, {
      service: 'worldoffice',
      operation: 'find_credit_note',
      effect: () => ({
        status: 200,
        body: { items: store.list('worldoffice', 'credit_notes').filter((note) => note.invoiceId === invoiceId) },
      }),
    });
  });
}
