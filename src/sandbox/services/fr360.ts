import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBody } from '../../core/http-errors.js';
import { fakeInvoice, invoiceJson } from '../fake-data.js';
import { parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * FR360: the user's own back office. Looks up the customer and product behind an invoice id.
 * Any invoice id gets deterministic fake data (src/sandbox/fake-data.ts), except ids starting
 * with `UNKNOWN-`, which are not found (404). Every look-up is recorded in `queries`.
 *
 * Operations: `lookup_invoice`.
 */
const invoiceParams = z.object({
  invoiceId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, . _ - (at most 100)'),
});

export function registerFr360(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/fr360/invoices/:invoiceId', async (request, reply) => {
    const { invoiceId } = parseInput(invoiceParams, request.params, 'path');
    return runOperation(ctx, request, reply, {
      service: 'fr360',
      operation: 'lookup_invoice',
      effect: () => {
        const invoice = fakeInvoice(invoiceId);
        ctx.store.insert('fr360', 'queries', { invoiceId, found: invoice !== undefined });
        if (!invoice) return { status: 404, body: { ...errorBody('NOT_FOUND', `invoice ${invoiceId} not found in FR360`) } };
        return { status: 200, body: invoiceJson(invoice) };
      },
    });
  });
}
