import { z } from 'zod';
import {
  ConfigError,
  definePipeline,
  RetriableError,
  type JsonObject,
  type PipelineDefinition,
  type StageContext,
  type StageDefinition,
} from '../../src/index.js';
import { phoneCountryOf, type FacturadorConfig } from './config.js';
import { sendWhatsApp } from './connectors/callbell.js';
import { findCartera, markFacturacionReversed, removePayment, type Cartera } from './connectors/strapi.js';
import {
  createCreditNote,
  findCreditNote,
  findInvoiceByReference,
  type WorldOfficeCreditNote,
  type WorldOfficeInvoice,
} from './connectors/worldoffice.js';
import { carteraPaymentOf, extractInvoice, extractionOf, formatMoney, fr360Of, invoiceEffectKey } from './data.js';
import { invoiceClaimKey } from './payments.js';
import { fr360QueryStage, invoiceExtractionStage, withStageTimeout } from './stages.js';
import type { FacturadorStore } from './store.js';

/**
 * Reversals (ePayco state 6, "Reversada"): what the accounting team does by hand when a
 * payment the Facturador invoiced is reversed — a credit note against the WorldOffice invoice,
 * the payment taken out of the cartera, the Ventas record marked reversed, and a WhatsApp
 * message to the customer — each once, each checkpointed. The reversal has the entity key of
 * its payment (`invoice:<x_id_invoice>`), so the engine runs it after every earlier event of
 * that invoice, in the provider's order: a reversal delivered before its acceptance still runs
 * after it when both are waiting.
 *
 * Only the reversal of the invoice's payer (the claim of payments.ts) reverses anything: the
 * refund of a second payment ("paid twice") leaves the invoice paid, and a reversal of a
 * payment the Facturador never processed has nothing to reverse. Either way the stages are
 * skipped, with the reason.
 */

export const REVERSAL_STAGE = 'reversal_payment';
const LOOK_UP_TIMEOUT_MS = 10_000;

/**
 * `payer`: the reversed transaction is the one that paid (and so was invoiced for) the
 * invoice; `not_payer`: another transaction paid it (this one was a second payment);
 * `never_paid`: no payment of the invoice was processed before this reversal.
 */
const reversalSchema = z.object({
  role: z.enum(['payer', 'not_payer', 'never_paid']),
  invoiceId: z.string(),
  refPayco: z.string(),
  paidBy: z.object({ eventId: z.number(), refPayco: z.string() }).nullable(),
});
type Reversal = z.infer<typeof reversalSchema>;

export function facturadorReversalPipeline(config: FacturadorConfig): PipelineDefinition {
  const source = config.source ?? 'epayco';
  const store = config.store;
  if (!store) {
    throw new ConfigError(
      'facturadorReversalPipeline needs `store`: the invoice claim says which payment paid (and was invoiced for) an invoice',
    );
  }
  const pipeline = definePipeline({
    name: 'facturador-reversals',
    label: { es: 'Reversiones de pagos (ePayco)', en: 'Payment reversals (ePayco)' },
    match: (event) => event.source === source && event.transactionStatus === 'reversed',
    stages: [
      invoiceExtractionStage({ es: 'Lectura de la reversión', en: 'Read the reversal' }),
      reversalStage(store),
      // The cartera, Ventas and WhatsApp stages depend on this one: skipped here, skipped all.
      fr360QueryStage(config, { dependsOn: [REVERSAL_STAGE], when: (ctx) => notThePayersReversal(ctx) ?? true }),
      creditNoteStage(config),
      carteraStage(config),
      {
        name: 'strapi_facturacion_reversal',
        label: { es: 'Venta marcada como reversada', en: 'Sale marked reversed' },
        column: 'Ventas',
        dependsOn: ['fr360_query'],
        // Find by reference, then PUT `status: reversed` unless it already says so: a rerun is a no-op.
        run: async (ctx) => ({ ventas: await markFacturacionReversed(config.strapi, extractionOf(ctx).invoiceId, ctx) }),
      },
      {
        name: 'callbell_reversal_notification',
        label: { es: 'WhatsApp de la reversión', en: 'WhatsApp about the reversal' },
        dependsOn: ['fr360_query'],
        when: () =>
          config.whatsappOnReversal !== false || 'WhatsApp on reversals is turned off in the configuration (whatsappOnReversal: false)',
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          const { amount, currency } = extractionOf(ctx);
          const text = `Hola ${customer.name}, ePayco reversó tu pago de ${formatMoney(amount, currency)} por ${product.name}. Si tienes dudas, responde a este mensaje.`;
          return sendWhatsApp(
            config.callbell,
            { to: customer.phone, text },
            invoiceEffectKey(ctx, 'callbell_reversal_notification'),
            ctx,
            phoneCountryOf(config),
          );
        },
      },
    ],
  });
  return withStageTimeout(pipeline, config);
}

/** Which payment this reversal reverses: read-only, from the invoice's claim. */
function reversalStage(store: FacturadorStore): StageDefinition {
  return {
    name: REVERSAL_STAGE,
    label: { es: 'Pago que se reversa', en: 'Payment reversed' },
    dependsOn: ['invoice_extraction'],
    run: async (ctx): Promise<Reversal & JsonObject> => {
      const { invoiceId, refPayco } = extractionOf(ctx);
      const claim = await store.getEntityState(invoiceClaimKey(invoiceId));
      if (claim === null) return { role: 'never_paid', invoiceId, refPayco, paidBy: null };
      const payer = await store.getEvent(claim.eventId);
      if (!payer) throw new Error(`event ${claim.eventId}, which paid invoice ${invoiceId}, does not exist`);
      const paidBy = { eventId: claim.eventId, refPayco: extractInvoice(payer.payload).refPayco };
      return { role: paidBy.refPayco === refPayco ? 'payer' : 'not_payer', invoiceId, refPayco, paidBy };
    },
  };
}

/** Why this reversal reverses nothing, or undefined when it reverses the invoice's payment. */
function notThePayersReversal(ctx: StageContext): string | undefined {
  const { role, invoiceId, refPayco, paidBy } = reversalSchema.parse(ctx.outputs[REVERSAL_STAGE]);
  if (role === 'payer') return undefined;
  if (role === 'not_payer') {
    return `ref_payco ${refPayco} was a second payment of invoice ${invoiceId}, which ref_payco ${paidBy?.refPayco ?? '?'} (event ${paidBy?.eventId ?? '?'}) paid: its refund leaves the invoice paid`;
  }
  return `no payment of invoice ${invoiceId} was processed before this reversal of ref_payco ${refPayco}: it was never invoiced, there is nothing to reverse`;
}

function creditNoteStage(config: FacturadorConfig): StageDefinition {
  const invoiceOf = (ctx: StageContext): Promise<WorldOfficeInvoice | undefined> =>
    findInvoiceByReference(config.worldoffice, extractionOf(ctx).invoiceId, {
      http: ctx.http,
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(LOOK_UP_TIMEOUT_MS)]),
    });
  return {
    name: 'worldoffice_credit_note',
    label: { es: 'Nota crédito en WorldOffice', en: 'WorldOffice credit note' },
    column: 'Factura',
    flag: 'WORLDOFFICE_INVOICE_ENABLED',
    dependsOn: [REVERSAL_STAGE],
    when: async (ctx) => {
      const notPayer = notThePayersReversal(ctx);
      if (notPayer !== undefined) return `no credit note: ${notPayer}`;
      if (await invoiceOf(ctx)) return true;
      const { invoiceId } = extractionOf(ctx);
      return `no credit note: invoice ${invoiceId} was never created in WorldOffice (the invoice stage did not run for its payment, e.g. with the invoice flag off)`;
    },
    // WorldOffice has no idempotency key: look for the invoice's credit note before making one.
    reconcile: async (ctx) => {
      const invoice = await invoiceOf(ctx);
      const existing = invoice ? await findCreditNote(config.worldoffice, invoice.id, ctx) : undefined;
      return existing ? creditNoteData(existing, invoice!, 'found') : undefined;
    },
    run: async (ctx) => {
      const invoice = await invoiceOf(ctx);
      // Gone since when() looked (annulled by hand?): the retry's when() skips it, saying why.
      if (!invoice)
        throw new RetriableError(`WorldOffice no longer finds invoice ${extractionOf(ctx).invoiceId}`, { code: 'INVOICE_NOT_FOUND' });
      const existing = await findCreditNote(config.worldoffice, invoice.id, ctx);
      if (existing) return creditNoteData(existing, invoice, 'found');
      const { refPayco, currency } = extractionOf(ctx);
      const reason = `Reversión del pago ePayco ${refPayco} de la factura ${invoice.number} (${invoice.reference})`;
      const created = await createCreditNote(config.worldoffice, { invoiceId: invoice.id, amount: invoice.amount, currency, reason }, ctx);
      return creditNoteData(created, invoice, 'created');
    },
  };
}

function creditNoteData(note: WorldOfficeCreditNote, invoice: WorldOfficeInvoice, how: 'created' | 'found'): JsonObject {
  return { creditNoteId: note.id, number: note.number, invoiceId: invoice.id, invoiceNumber: invoice.number, amount: note.amount, how };
}

/** Strapi has no idempotency key: the payment is taken out only while the cartera still lists it. */
function carteraStage(config: FacturadorConfig): StageDefinition {
  return {
    name: 'strapi_cartera_reversal',
    label: { es: 'Pago retirado de la cartera', en: 'Payment taken out of receivables' },
    column: 'Cartera',
    dependsOn: ['fr360_query'],
    reconcile: async (ctx) => {
      const cartera = await findCartera(config.strapi, fr360Of(ctx).agreementId, ctx);
      if (!cartera) return { carteraId: null, how: 'no_cartera' };
      // Not listed any more: taken out by the interrupted attempt.
      return carteraPaymentOf(cartera, ctx) === undefined ? carteraData(cartera, 'found_removed') : undefined;
    },
    run: async (ctx) => {
      const cartera = await findCartera(config.strapi, fr360Of(ctx).agreementId, ctx);
      if (!cartera) return { carteraId: null, how: 'no_cartera' };
      const reference = carteraPaymentOf(cartera, ctx);
      if (reference === undefined) {
        ctx.log.warn('the cartera does not list this payment: nothing to take out', { carteraId: cartera.id });
        return carteraData(cartera, 'not_listed');
      }
      return { ...carteraData(await removePayment(config.strapi, cartera.documentId, reference, ctx), 'removed'), reference };
    },
  };
}

/** `how`: removed now; found removed (by an interrupted attempt); or not listed at all. */
function carteraData(cartera: Cartera, how: 'removed' | 'found_removed' | 'not_listed'): JsonObject {
  return { carteraId: cartera.id, acuerdo: cartera.acuerdo, how, totalPaid: cartera.totalPaid, balance: cartera.balance };
}
