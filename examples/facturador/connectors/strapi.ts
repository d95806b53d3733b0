import { z } from 'zod';
import { toE164OrUndefined, type JsonObject } from '../../../src/index.js';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

/**
 * Strapi v5's REST API, as its docs give it: `endpoint.baseUrl` is the Strapi server with its
 * REST prefix (`https://cms.example.com/api`); bodies and replies are `{ data: … }` envelopes,
 * lists `{ data: [...], meta: { pagination } }` (https://docs.strapi.io/cms/api/rest); filters
 * are qs-style query keys, `filters[<field>][$eq]=<value>`, the value URL-encoded and the key
 * as qs writes it with `encodeValuesOnly` (https://docs.strapi.io/cms/api/rest/filters); a
 * document is addressed by its `documentId` string, not v4's numeric id
 * (https://docs.strapi.io/cms/migration/v4-to-v5/breaking-changes/use-document-id).
 *
 * Strapi has no idempotency key and no upsert. A cartera payment is applied only after
 * checking that the cartera does not already list a payment with our reference; a
 * facturación record is found by reference and updated, or created when missing.
 */

const documentIdentity = { id: z.number(), documentId: z.string().min(1) };
const paymentSchema = z.object({ reference: z.string(), amount: z.number() });
const carteraSchema = z.object({
  ...documentIdentity,
  acuerdo: z.string(),
  totalPaid: z.number(),
  balance: z.number(),
  // A repeatable component: only in the reply when asked for with `populate`.
  payments: z.array(paymentSchema),
});
export type Cartera = z.infer<typeof carteraSchema>;
const facturacionSchema = z.object({
  ...documentIdentity,
  reference: z.string(),
  invoiceNumber: z.number().nullable(),
  status: z.enum(['paid', 'reversed']).optional(),
});

const one = <S extends z.ZodType>(schema: S) => z.object({ data: schema });
const list = <S extends z.ZodType>(schema: S) =>
  z.object({ data: z.array(schema), meta: z.object({ pagination: z.object({ total: z.number() }) }) });
// Each reply schema is built once: zod 4 compiles a schema on its first parse, so one built
// inside a call was compiled again on every call.
const carteraList = list(carteraSchema);
const carteraOne = one(carteraSchema);
const createdCartera = one(carteraSchema.omit({ payments: true }));
const facturacionList = list(facturacionSchema);
const facturacionOne = one(facturacionSchema);

/** `filters[<field>][$eq]=<value>`: the key as Strapi's qs reads it, the value encoded. */
function equalsFilter(field: string, value: string): string {
  return `filters[${field}][$eq]=${encodeURIComponent(value)}`;
}

/**
 * The agreement's cartera: the first created (lowest id) when there are several — see
 * findOrCreateCartera for how a second one can appear, and why the first is everyone's answer.
 */
export async function findCartera(endpoint: ServiceEndpoint, acuerdo: string, io: StageIo): Promise<Cartera | undefined> {
  const { body } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'GET',
    path: `/carteras?${equalsFilter('acuerdo', acuerdo)}&populate=payments`,
    io,
    schema: carteraList,
  });
  return body.data.reduce<Cartera | undefined>((first, cartera) => (first && first.id < cartera.id ? first : cartera), undefined);
}

/**
 * Strapi has no unique key on `acuerdo`: two first payments of one agreement processed at the
 * same moment (two instalments) each found no cartera and each created one, and each counted
 * its payment in its own. So after creating, the agreement is looked up again: the first
 * cartera created is the agreement's, for every payment that looks after creating its own (a
 * later one cannot have a lower id); ours, when it is not that one, is still empty and is deleted.
 */
export async function findOrCreateCartera(
  endpoint: ServiceEndpoint,
  cartera: Parameters<typeof createCartera>[1],
  io: StageIo,
): Promise<Cartera> {
  const found = await findCartera(endpoint, cartera.acuerdo, io);
  if (found) return found;
  const created = await createCartera(endpoint, cartera, io);
  const first = await findCartera(endpoint, cartera.acuerdo, io);
  if (!first || first.documentId === created.documentId) return created;
  await callService({
    service: 'Strapi',
    endpoint,
    method: 'DELETE',
    path: `/carteras/${encodeURIComponent(created.documentId)}`,
    io,
    // Strapi 5 answers a deletion with 204 and no body (read as null) or with the document.
    schema: z.unknown(),
  });
  return first;
}

export async function createCartera(
  endpoint: ServiceEndpoint,
  /** `documentId` is the customer's cédula (Strapi's field `cedula`), not Strapi's own documentId. */
  cartera: { acuerdo: string; documentId: string; customerName: string; total: number; phone?: string; phoneCountry?: string },
  io: StageIo,
): Promise<Cartera> {
  const data: JsonObject = {
    acuerdo: cartera.acuerdo,
    cedula: cartera.documentId,
    customerName: cartera.customerName,
    total: cartera.total,
  };
  // A ledger is not held up by a phone: an unusable one is left out (WhatsApp and the CRM report it).
  const phone = toE164OrUndefined(cartera.phone, cartera.phoneCountry);
  if (phone) data.phone = phone;
  const { body: created } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'POST',
    path: '/carteras',
    body: { data },
    io,
    schema: createdCartera,
  });
  // A new cartera has no payments; Strapi does not return components unless populated.
  return { ...created.data, payments: [] };
}

export async function applyPayment(
  endpoint: ServiceEndpoint,
  carteraDocumentId: string,
  payment: { reference: string; amount: number },
  io: StageIo,
): Promise<Cartera> {
  const { body } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'POST',
    path: `/carteras/${encodeURIComponent(carteraDocumentId)}/payments`,
    body: { data: { ...payment } },
    io,
    schema: carteraOne,
  });
  return body.data;
}

export interface Facturacion {
  reference: string;
  /** The customer's cédula (Strapi's field `cedula`). */
  documentId: string;
  customerName: string;
  product: string;
  amount: number;
  currency: string;
  invoiceNumber: number | null;
  /** Normalised to E.164 (a number without a country code read as `phoneCountry`'s, default 'CO'); left out when unusable. */
  phone?: string;
  phoneCountry?: string;
}

/** The facturación record of `reference`, if Strapi has one. */
export async function findFacturacion(
  endpoint: ServiceEndpoint,
  reference: string,
  io: StageIo,
): Promise<z.infer<typeof facturacionSchema> | undefined> {
  const { body } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'GET',
    path: `/facturacions?${equalsFilter('reference', reference)}`,
    io,
    schema: facturacionList,
  });
  return body.data[0];
}

/** Updates only the given fields (Strapi's PUT is partial) of the record with this documentId. */
export async function updateFacturacion(endpoint: ServiceEndpoint, documentId: string, fields: JsonObject, io: StageIo): Promise<void> {
  await callService({
    service: 'Strapi',
    endpoint,
    method: 'PUT',
    path: `/facturacions/${encodeURIComponent(documentId)}`,
    body: { data: fields },
    io,
    schema: facturacionOne,
  });
}

/** Find by reference, then update it or create it: one record per reference. */
export async function upsertFacturacion(
  endpoint: ServiceEndpoint,
  record: Facturacion,
  io: StageIo,
): Promise<{ facturacionId: number; documentId: string; action: 'created' | 'updated' }> {
  const { documentId: cedula, phone, phoneCountry, ...fields } = record;
  const data: JsonObject = { ...fields, cedula };
  const e164 = toE164OrUndefined(phone, phoneCountry);
  if (e164) data.phone = e164;
  const existing = await findFacturacion(endpoint, record.reference, io);
  if (existing) {
    // A number the invoice stage already wrote is never erased by a later run without one.
    if (data.invoiceNumber === null) delete data.invoiceNumber;
    await updateFacturacion(endpoint, existing.documentId, data, io);
    return { facturacionId: existing.id, documentId: existing.documentId, action: 'updated' };
  }
  const { body } = await callService({
    service: 'Strapi',
    endpoint,
    method: 'POST',
    path: '/facturacions',
    body: { data },
    io,
    schema: facturacionOne,
  });
  return { facturacionId: body.data.id, documentId: body.data.documentId, action: 'created' };
}

/**
 * Writes the invoice number into the facturación record of `reference`, if there is one and it
 * lacks that number. No record yet: nothing to do, the facturación stage will read the number
 * when it creates it.
 */
export async function setFacturacionInvoiceNumber(
  endpoint: ServiceEndpoint,
  reference: string,
  invoiceNumber: number,
  io: StageIo,
): Promise<'none' | 'already' | 'updated'> {
  const existing = await findFacturacion(endpoint, reference, io);
  if (!existing) return 'none';
  if (existing.invoiceNumber === invoiceNumber) return 'already';
  await updateFacturacion(endpoint, existing.documentId, { invoiceNumber }, io);
  return 'updated';
}

/**
 * Reversals (issue 14.6): takes the payment with `reference` out of the cartera (the same custom
 * route as `applyPayment`, `DELETE`). Callers look first: a payment the cartera does not list is a 404.
 */
export async function removePayment(
  endpoint: ServiceEndpoint,
  carteraDocumentId: string,
  reference: string,
  io: StageIo,
): Promise<Cartera> {
  const path = `/carteras/${encodeURIComponent(carteraDocumentId)}/payments?reference=${encodeURIComponent(reference)}`;
  const { body } = await callService({ service: 'Strapi', endpoint, method: 'DELETE', path, io, schema: carteraOne });
  return body.data;
}

/** Reversals (issue 14.6): marks the facturación record of `reference` reversed (a partial update of `status`). */
export async function markFacturacionReversed(
  endpoint: ServiceEndpoint,
  reference: string,
  io: StageIo,
): Promise<'none' | 'already' | 'updated'> {
  const existing = await findFacturacion(endpoint, reference, io);
  if (!existing) return 'none';
  if (existing.status === 'reversed') return 'already';
  await updateFacturacion(endpoint, existing.documentId, { status: 'reversed' }, io);
  return 'updated';
}
