import { z } from 'zod';
import type { ServiceEndpoint } from '../config.js';
import { PermanentError, toE164OrUndefined } from '../../../src/index.js';
import { callService, type StageIo } from './http.js';

/**
 * WorldOffice has NO idempotency key: POSTing an invoice twice makes two invoices. The only
 * protection is to look the invoice up by our reference before creating it, and again when
 * an attempt was interrupted (the stage's `reconcile`).
 */

const customerSchema = z.object({ id: z.number() });
const invoiceSchema = z.object({ id: z.number(), number: z.number(), reference: z.string(), amount: z.number() });
export type WorldOfficeInvoice = z.infer<typeof invoiceSchema>;
const invoiceListSchema = z.object({ items: z.array(invoiceSchema) });
const accountingSchema = z.object({ accountingId: z.number() });
const emissionSchema = z.object({ cufe: z.string() });
// Reply schemas are built once, here: zod 4 compiles a schema on its first parse, and a schema
// built inside a call was compiled again on every call (a tenth of the demo's zod time).
const conflictSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const accountingReplySchema = z.union([accountingSchema, conflictSchema]);
const emissionReplySchema = z.union([emissionSchema, conflictSchema]);

export async function findOrCreateCustomer(
  endpoint: ServiceEndpoint,
  customer: { documentId: string; name: string; email: string; phone: string },
  io: StageIo,
  phoneCountry?: string,
): Promise<{ customerId: number }> {
  // An invoice is not held up by a phone: an unusable one is left out (WhatsApp and the CRM report it).
  const { phone: raw, ...fields } = customer;
  const phone = toE164OrUndefined(raw, phoneCountry);
  const { body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'POST',
    path: '/customers',
    body: phone ? { ...fields, phone } : { ...fields },
    io,
    schema: customerSchema,
  });
  return { customerId: body.id };
}

export async function findInvoiceByReference(
  endpoint: ServiceEndpoint,
  reference: string,
  io: StageIo,
): Promise<WorldOfficeInvoice | undefined> {
  const { body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'GET',
    path: `/invoices?reference=${encodeURIComponent(reference)}`,
    io,
    schema: invoiceListSchema,
  });
  // Should there ever be two (created before webpig), the first is the one that counts.
  return body.items[0];
}

export async function createInvoice(
  endpoint: ServiceEndpoint,
  invoice: { customerId: number; reference: string; amount: number; currency: string; description: string },
  io: StageIo,
): Promise<WorldOfficeInvoice> {
  const { body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'POST',
    path: '/invoices',
    body: { ...invoice },
    io,
    schema: invoiceSchema,
  });
  return body;
}

/** Accounting twice is refused with 409 ALREADY_ACCOUNTED and the existing entry: both are success. */
export async function accountInvoice(
  endpoint: ServiceEndpoint,
  invoiceId: number,
  io: StageIo,
): Promise<{ accountingId: number; alreadyAccounted: boolean }> {
  const { status, body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'POST',
    path: `/invoices/${invoiceId}/accounting`,
    body: {},
    accept: [409],
    io,
    schema: accountingReplySchema,
  });
  if ('accountingId' in body) return { accountingId: body.accountingId, alreadyAccounted: status === 409 };
  throw conflict(body.error);
}

/** Emitting twice is refused with 409 ALREADY_EMITTED and the existing CUFE: both are success. */
export async function emitToDian(
  endpoint: ServiceEndpoint,
  invoiceId: number,
  io: StageIo,
): Promise<{ cufe: string; alreadyEmitted: boolean }> {
  const { status, body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'POST',
    path: `/invoices/${invoiceId}/dian`,
    body: {},
    accept: [409],
    io,
    schema: emissionReplySchema,
  });
  if ('cufe' in body) return { cufe: body.cufe, alreadyEmitted: status === 409 };
  throw conflict(body.error);
}

function conflict(error: { code: string; message: string }): Error {
  return new PermanentError(`WorldOffice: ${error.message}`, { code: error.code });
}

const creditNoteSchema = z.object({ id: z.number(), number: z.number(), invoiceId: z.number(), amount: z.number() });
export type WorldOfficeCreditNote = z.infer<typeof creditNoteSchema>;
const creditNoteListSchema = z.object({ items: z.array(creditNoteSchema) });

/** The invoice's credit notes (WorldOffice has no idempotency key: look before creating). */
export async function findCreditNote(
  endpoint: ServiceEndpoint,
  invoiceId: number,
  io: StageIo,
): Promise<WorldOfficeCreditNote | undefined> {
  const { body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'GET',
    path: `/credit-notes?invoiceId=${invoiceId}`,
    io,
    schema: creditNoteListSchema,
  });
  return body.items[0];
}

export async function createCreditNote(
  endpoint: ServiceEndpoint,
  note: { invoiceId: number; amount: number; currency: string; reason: string },
  io: StageIo,
): Promise<WorldOfficeCreditNote> {
  const { body } = await callService({
    service: 'WorldOffice',
    endpoint,
    method: 'POST',
    path: '/credit-notes',
    body: { ...note },
    io,
    schema: creditNoteSchema,
  });
  return body;
}
