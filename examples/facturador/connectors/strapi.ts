import { z } from 'zod';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

/**
 * Strapi has no idempotency key and no upsert. A cartera payment is applied only after
 * checking that the cartera does not already list a payment with our reference; a
 * facturación record is found by reference and updated, or created when missing.
 */

const paymentSchema = z.object({ reference: z.string(), amount: z.number() });
const carteraSchema = z.object({
  id: z.number(),
  acuerdo: z.string(),
  totalPaid: z.number(),
  balance: z.number(),
  payments: z.array(paymentSchema),
});
export type Cartera = z.infer<typeof carteraSchema>;
const facturacionSchema = z.object({ id: z.number(), reference: z.string() });
const storedFacturacionSchema = facturacionSchema.extend({
  documentId: z.string().nullable(),
  customerName: z.string().nullable(),
  product: z.string().nullable(),
  amount: z.number(),
  currency: z.string().nullable(),
  invoiceNumber: z.number().nullable(),
});

export async function findCartera(endpoint: ServiceEndpoint, acuerdo: string, io: StageIo): Promise<Cartera | undefined> {
  const { body } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'GET',
    path: `/carteras?acuerdo=${encodeURIComponent(acuerdo)}`,
    io,
    schema: z.object({ items: z.array(carteraSchema) }),
  });
  return body.items[0];
}

export async function createCartera(
  endpoint: ServiceEndpoint,
  cartera: { acuerdo: string; documentId: string; customerName: string; total: number },
  io: StageIo,
): Promise<Cartera> {
  const { body } = await callService({ service: 'Strapi', endpoint, method: 'POST', path: '/carteras', body: { ...cartera }, io, schema: carteraSchema });
  return body;
}

export async function applyPayment(
  endpoint: ServiceEndpoint,
  carteraId: number,
  payment: { reference: string; amount: number },
  io: StageIo,
): Promise<Cartera> {
  const { body } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'POST',
    path: `/carteras/${carteraId}/payments`,
    body: { ...payment },
    io,
    schema: carteraSchema,
  });
  return body;
}

export interface Facturacion {
  reference: string;
  documentId: string;
  customerName: string;
  product: string;
  amount: number;
  currency: string;
  invoiceNumber: number | null;
}

/** Find by reference, then update it or create it: one record per reference. */
export async function upsertFacturacion(
  endpoint: ServiceEndpoint,
  record: Facturacion,
  io: StageIo,
): Promise<{ facturacionId: number; action: 'created' | 'updated' }> {
  const { body: found } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'GET',
    path: `/facturacions?reference=${encodeURIComponent(record.reference)}`,
    io,
    schema: z.object({ items: z.array(facturacionSchema) }),
  });
  const existing = found.items[0];
  if (existing) {
    await callService({ service: 'Strapi', endpoint, method: 'PUT', path: `/facturacions/${existing.id}`, body: { ...record }, io, schema: facturacionSchema });
    return { facturacionId: existing.id, action: 'updated' };
  }
  const { body } = await callService({ service: 'Strapi', endpoint, method: 'POST', path: '/facturacions', body: { ...record }, io, schema: facturacionSchema });
  return { facturacionId: body.id, action: 'created' };
}

/**
 * Writes the invoice number into the facturación record of `reference`, if there is one and it
 * lacks that number (Strapi's PUT replaces the record: the other fields are sent back as read).
 * No record yet: nothing to do, the facturación stage will read the number when it creates it.
 */
export async function setFacturacionInvoiceNumber(
  endpoint: ServiceEndpoint,
  reference: string,
  invoiceNumber: number,
  io: StageIo,
): Promise<'none' | 'already' | 'updated'> {
  const { body: found } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'GET',
    path: `/facturacions?reference=${encodeURIComponent(reference)}`,
    io,
    schema: z.object({ items: z.array(storedFacturacionSchema) }),
  });
  const existing = found.items[0];
  if (!existing) return 'none';
  if (existing.invoiceNumber === invoiceNumber) return 'already';
  const { id, ...fields } = existing;
  const record: Record<string, string | number | null> = { ...fields, invoiceNumber };
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key];
  await callService({ service: 'Strapi', endpoint, method: 'PUT', path: `/facturacions/${id}`, body: record, io, schema: facturacionSchema });
  return 'updated';
}
