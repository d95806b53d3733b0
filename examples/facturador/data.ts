import { z } from 'zod';
import { PermanentError, type EventRecord, type JsonValue, type StageContext } from '../../src/index.js';
import { fr360InvoiceSchema, type Fr360Invoice } from './connectors/fr360.js';
import type { Cartera } from './connectors/strapi.js';

/** What the `invoice_extraction` stage reads out of an ePayco confirmation. */
export const extractionSchema = z.object({
  invoiceId: z.string(),
  amount: z.number(),
  currency: z.string(),
  refPayco: z.string(),
  transactionId: z.string(),
});
export type Extraction = z.infer<typeof extractionSchema>;

/** The ePayco confirmation's `x_*` fields (form-encoded, so every value is a string). */
export function epaycoFields(payload: JsonValue): Record<string, string> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return {};
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string') fields[key] = value;
    else if (typeof value === 'number') fields[key] = String(value);
  }
  return fields;
}

/** ePayco's state code: x_cod_transaction_state, falling back to x_cod_response (PROVIDERS §3.2). */
export function epaycoStateCode(event: EventRecord): string | undefined {
  const fields = epaycoFields(event.payload);
  return fields.x_cod_transaction_state ?? fields.x_cod_response;
}

export function extractInvoice(payload: JsonValue): Extraction {
  const fields = epaycoFields(payload);
  // ePayco sends the merchant's invoice as x_id_invoice (x_id_factura in older accounts);
  // some shop plugins put it in x_extra1.
  const invoiceId = fields.x_id_invoice ?? fields.x_id_factura ?? fields.x_extra1;
  if (!invoiceId) {
    throw new PermanentError('the confirmation carries no invoice id (x_id_invoice, x_id_factura or x_extra1)', { code: 'NO_INVOICE_ID' });
  }
  const amount = Number(fields.x_amount);
  if (!fields.x_amount || !Number.isFinite(amount)) {
    throw new PermanentError(`the confirmation's x_amount is not a number: "${(fields.x_amount ?? '').slice(0, 40)}"`, {
      code: 'BAD_AMOUNT',
    });
  }
  return {
    invoiceId,
    amount,
    currency: fields.x_currency_code ?? 'COP',
    refPayco: fields.x_ref_payco ?? '',
    transactionId: fields.x_transaction_id ?? '',
  };
}

/**
 * Earlier stages' outputs already checked, by output and schema. A run hands every later stage
 * the same output objects, and the stages read them again and again (the FR360 invoice in six
 * of them): each is parsed once. The stages share the result, and only read it.
 */
const checkedOutputs = new WeakMap<object, Map<z.ZodType, unknown>>();

/** The checkpoint data of an earlier stage, checked against its shape. */
function output<S extends z.ZodType>(ctx: StageContext, stage: string, schema: S): z.infer<S> {
  const value = ctx.outputs[stage];
  const checked = value !== null && typeof value === 'object' ? checkedOutputs.get(value) : undefined;
  if (checked?.has(schema)) return checked.get(schema) as z.infer<S>;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new PermanentError(`stage ${stage} has no usable output: ${parsed.error.issues[0]?.message ?? ''}`, { code: 'MISSING_OUTPUT' });
  }
  if (value !== null && typeof value === 'object') {
    const byShape = checked ?? new Map<z.ZodType, unknown>();
    byShape.set(schema, parsed.data);
    checkedOutputs.set(value, byShape);
  }
  return parsed.data;
}

// Built once (zod 4 compiles a schema on its first parse; one built per call compiled every time).
const invoiceNumberSchema = z.object({ number: z.number() });
const customerIdSchema = z.object({ customerId: z.number() });
const invoiceIdSchema = z.object({ invoiceId: z.number() });

export function extractionOf(ctx: StageContext): Extraction {
  return output(ctx, 'invoice_extraction', extractionSchema);
}

export function fr360Of(ctx: StageContext): Fr360Invoice {
  return output(ctx, 'fr360_query', fr360InvoiceSchema);
}

/** The invoice number from worldoffice_invoice_creation, if that stage ran. */
export function invoiceNumberOf(ctx: StageContext): number | null {
  const parsed = invoiceNumberSchema.safeParse(ctx.outputs.worldoffice_invoice_creation);
  return parsed.success ? parsed.data.number : null;
}

/**
 * The Idempotency-Key of an effect made once per invoice, whichever ePayco transaction (and so
 * whichever event) asks for it: two payments of one invoice never make two memberships.
 */
export function invoiceEffectKey(ctx: StageContext, effect: string): string {
  return `webpig:${ctx.event.source}:invoice:${extractionOf(ctx).invoiceId}:${effect}`;
}

export function customerIdOf(ctx: StageContext): number {
  return output(ctx, 'worldoffice_customer', customerIdSchema).customerId;
}

export function invoiceIdOf(ctx: StageContext): number {
  return output(ctx, 'worldoffice_invoice_creation', invoiceIdSchema).invoiceId;
}

/**
 * What the cartera records against the applied payment: the invoice, so a second payment of
 * one invoice is never counted by a second run. (Before, the ePayco reference of the payment:
 * `epayco:<x_ref_payco>`; a cartera holding that one for this payment counts as applied.)
 */
export function paymentReference(ctx: StageContext): string {
  return `epayco-invoice:${extractionOf(ctx).invoiceId}`;
}

function legacyPaymentReference(ctx: StageContext): string {
  const { refPayco, transactionId, invoiceId } = extractionOf(ctx);
  return `epayco:${refPayco || transactionId || invoiceId}`;
}

/** The reference under which the cartera lists this payment, if it lists it. */
export function carteraPaymentOf(cartera: Cartera, ctx: StageContext): string | undefined {
  const references = new Set([paymentReference(ctx), legacyPaymentReference(ctx)]);
  return cartera.payments.find((payment) => references.has(payment.reference))?.reference;
}

/** Made once: an Intl.NumberFormat costs far more to build than to use. */
const colombianNumber = new Intl.NumberFormat('es-CO', { maximumFractionDigits: 2 });

/** "250.000 COP": the amount as a customer in Colombia reads it in a message. */
export function formatMoney(amount: number, currency: string): string {
  return `${colombianNumber.format(amount)} ${currency}`;
}
