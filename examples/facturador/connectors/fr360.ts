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

/**
 * FR360's reply: its customer record may have no phone (absent, null or blank). The seeds'
 * dashboard read the phone from FR360 "or else" from ePayco's `x_customer_movil`; requiring it
 * here made such a paid invoice fail its look-up and never be invoiced.
 */
const fr360ReplySchema = fr360InvoiceSchema.extend({
  customer: fr360InvoiceSchema.shape.customer.extend({ phone: z.string().nullish() }),
});
export type Fr360Reply = z.infer<typeof fr360ReplySchema>;

/** FR360: the customer and product behind an invoice id. 404 is permanent (no such invoice). */
export async function lookUpInvoice(endpoint: ServiceEndpoint, invoiceId: string, io: StageIo): Promise<Fr360Reply> {
  const { body } = await callService({
    service: 'FR360',
    endpoint,
    method: 'GET',
    path: `/invoices/${encodeURIComponent(invoiceId)}`,
    io,
    schema: fr360ReplySchema,
  });
  return body;
}

/**
 * The invoice with the customer's phone filled in: FR360's when it has one, else the one the
 * payer typed at ePayco (`x_customer_movil`, then `x_customer_phone`), else blank — which the
 * WhatsApp and CRM stages refuse as PHONE_INVALID, holding up no invoice or ledger.
 * `phoneFrom` says which, so the stage panel shows where the number came from.
 */
export function withCustomerPhone(
  found: Fr360Reply,
  epayco: Record<string, string>,
): Fr360Invoice & { phoneFrom: 'fr360' | 'epayco' | 'none' } {
  const fr360Phone = found.customer.phone?.trim();
  const epaycoPhone = [epayco.x_customer_movil, epayco.x_customer_phone].map((p) => p?.trim()).find((p) => p);
  const phone = fr360Phone || epaycoPhone || '';
  const phoneFrom = fr360Phone ? 'fr360' : epaycoPhone ? 'epayco' : 'none';
  return { ...found, customer: { ...found.customer, phone }, product: { ...found.product }, phoneFrom };
}
