import { z } from 'zod';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

export const fr360InvoiceSchema = z.object({
  invoiceId: z.string(),
  customer: z.object({ name: z.string(), documentId: z.string(), email: z.string(), phone: z.string() }),
  product: z.object({
    id: z.string(),
    name: z.string(),
    price: z.number(),
    plan: z.string(),
    months: z.number().int(),
    installments: z.number().int(),
  }),
  agreementId: z.string(),
});
export type Fr360Invoice = z.infer<typeof fr360InvoiceSchema>;

/** FR360: the customer and product behind an invoice id. 404 is permanent (no such invoice). */
export async function lookUpInvoice(endpoint: ServiceEndpoint, invoiceId: string, io: StageIo): Promise<Fr360Invoice> {
  const { body } = await callService({
    service: 'FR360',
    endpoint,
    method: 'GET',
    path: `/invoices/${encodeURIComponent(invoiceId)}`,
    io,
    schema: fr360InvoiceSchema,
  });
  return body;
}
