import {
  definePipeline,
  type ColumnConfig,
  type EventRecord,
  type FlagConfig,
  type JsonObject,
  type PipelineDefinition,
  type StageContext,
  type TransactionStatus,
} from '../../src/index.js';
import { phoneCountryOf, type FacturadorConfig } from './config.js';
import { sendWhatsApp } from './connectors/callbell.js';
import { upsertContact } from './connectors/clientify.js';
import { createMembership } from './connectors/frapp.js';
import {
  applyPayment,
  findCartera,
  findOrCreateCartera,
  setFacturacionInvoiceNumber,
  upsertFacturacion,
  type Cartera,
} from './connectors/strapi.js';
import {
  accountInvoice,
  createInvoice,
  emitToDian,
  findInvoiceByReference,
  findOrCreateCustomer,
  type WorldOfficeInvoice,
} from './connectors/worldoffice.js';
import {
  carteraPaymentOf,
  customerIdOf,
  epaycoStateCode,
  extractionOf,
  formatMoney,
  fr360Of,
  invoiceEffectKey,
  invoiceIdOf,
  invoiceNumberOf,
  paymentReference,
} from './data.js';
import { notThePayer, PAYMENT_STAGE, paymentStage } from './payments.js';
import { fr360QueryStage, invoiceExtractionStage, withStageTimeout } from './stages.js';

/**
 * The seeds' Facturador: what happens after ePayco confirms a payment. The seeds' eleven
 * stages (and the invoice claim), each checkpointed by the engine; the ones that talk to
 * systems without idempotency keys (WorldOffice, Strapi) look their effect up by reference
 * before making it, so a retry, a crash or a reply lost after the effect never makes a second
 * invoice or counts a payment twice (the incident of webhook 373).
 *
 * Every effect is keyed by the invoice (`x_id_invoice`), not by the ePayco transaction: with
 * `config.store`, the `invoice_payment` stage lets only the invoice's first accepted payment
 * run them and reports a second one as "paid twice" (payments.ts); the keys make a second
 * run of any effect for one invoice a no-op even so.
 */

export const facturadorColumns: ColumnConfig[] = [
  { key: 'FRAPP', label: 'FRAPP' },
  { key: 'CRM', label: 'CRM' },
  { key: 'WO', label: 'WO' },
  { key: 'Factura', label: { es: 'Factura', en: 'Invoice' } },
  { key: 'DIAN', label: 'DIAN' },
  { key: 'Cartera', label: { es: 'Cartera', en: 'Receivables' } },
  { key: 'Ventas', label: { es: 'Ventas', en: 'Sales' } },
];

/**
 * The seeds' FLAG_PERMISSIONS, by role: memberships only for admins (admin1@), the
 * WorldOffice flags also for finance (finance1@, finance2@).
 */
export const facturadorFlags: FlagConfig[] = [
  {
    key: 'MEMBERSHIPS_ENABLED',
    description: {
      es: 'Crear la membresía en FRAPP al recibir un pago aceptado',
      en: 'Create the membership in FRAPP when an accepted payment arrives',
    },
    default: true,
    allowed: ['admin'],
  },
  {
    key: 'WORLDOFFICE_INVOICE_ENABLED',
    description: { es: 'Crear y contabilizar la factura en WorldOffice', en: 'Create and post the invoice in WorldOffice' },
    default: true,
    allowed: ['admin', 'finance'],
  },
  {
    key: 'WORLDOFFICE_DIAN_ENABLED',
    description: {
      es: 'Emitir la factura electrónica a la DIAN desde WorldOffice',
      en: 'Issue the electronic invoice to the DIAN from WorldOffice',
    },
    default: true,
    allowed: ['admin', 'finance'],
  },
];

/** A transaction's state as the dashboard's Spanish says it, for the reason a payment is not invoiced. */
const TRANSACTION_STATUS_ES: Record<TransactionStatus, string> = {
  accepted: 'aceptada',
  rejected: 'rechazada',
  pending: 'pendiente',
  reversed: 'reversada',
};

export function facturadorPipeline(config: FacturadorConfig): PipelineDefinition {
  const source = config.source ?? 'epayco';
  const phoneCountry = phoneCountryOf(config);
  const pipeline = definePipeline({
    name: 'facturador',
    label: { es: 'Facturación de pagos (ePayco)', en: 'Payment invoicing (ePayco)' },
    // With the store, reversals are facturadorReversalPipeline's (reversals.ts), whichever
    // order the two pipelines are listed in; without it they stay "not applicable" here.
    match: (event) => event.source === source && !(config.store && event.transactionStatus === 'reversed'),
    notApplicable: (event) => {
      const status = event.transactionStatus;
      if (status === 'accepted') return undefined;
      // A test-card transaction on a production account (src/sources/README.md, ePayco): no money moved.
      if (event.type === 'transaction.test') {
        return {
          es: 'transacción de prueba de ePayco (tarjeta de prueba): no es un pago, no se factura',
          en: 'an ePayco test transaction (a test card): not a payment, not invoiced',
        };
      }
      if (status === null && epaycoStateCode(event) === '1') return undefined;
      const code = epaycoStateCode(event);
      return {
        es: `transacción ${status ? TRANSACTION_STATUS_ES[status] : `con estado ${code ?? 'desconocido'} de ePayco`}: solo se facturan los pagos aceptados`,
        en: `transaction ${status ?? `with ePayco state ${code ?? 'unknown'}`}: only accepted payments are invoiced`,
      };
    },
    // With the store, the invoice_payment stage decides who pays an invoice (and alerts a second
    // payer), so the engine's gate must let every accepted payment through to it. Without it,
    // the gate is the guard: a second accepted payment of the entity is ignored, silently.
    ...(config.store ? {} : { entity: paymentStateMachine }),
    stages: [
      invoiceExtractionStage({ es: 'Lectura del pago', en: 'Read the payment' }),
      ...(config.store ? [paymentStage(config.store)] : []),
      fr360QueryStage(config, {
        dependsOn: [config.store ? PAYMENT_STAGE : 'invoice_extraction'],
        when: (ctx) => notThePayer(ctx) ?? true,
      }),
      {
        name: 'callbell_notification',
        label: { es: 'WhatsApp al cliente', en: 'WhatsApp to the customer' },
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          const { amount, currency } = extractionOf(ctx);
          const text = `Hola ${customer.name}, recibimos tu pago de ${formatMoney(amount, currency)} por ${product.name}. ¡Gracias!`;
          return sendWhatsApp(
            config.callbell,
            { to: customer.phone, text },
            invoiceEffectKey(ctx, 'callbell_notification'),
            ctx,
            phoneCountry,
          );
        },
      },
      {
        name: 'membership_creation',
        label: { es: 'Membresía en FRAPP', en: 'FRAPP membership' },
        column: 'FRAPP',
        flag: 'MEMBERSHIPS_ENABLED',
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product, invoiceId } = fr360Of(ctx);
          const membership = await createMembership(
            config.frapp,
            {
              email: customer.email,
              documentId: customer.documentId,
              name: customer.name,
              plan: product.plan,
              months: product.months,
              reference: invoiceId,
            },
            invoiceEffectKey(ctx, 'membership_creation'),
            ctx,
          );
          return { ...membership };
        },
      },
      {
        name: 'crm_upsert',
        label: { es: 'Contacto en Clientify', en: 'Clientify contact' },
        column: 'CRM',
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          return upsertContact(config.clientify, { ...customer, tags: [product.name] }, ctx, phoneCountry);
        },
      },
      {
        name: 'worldoffice_customer',
        label: { es: 'Cliente en WorldOffice', en: 'WorldOffice customer' },
        column: 'WO',
        dependsOn: ['fr360_query'],
        run: async (ctx) => findOrCreateCustomer(config.worldoffice, fr360Of(ctx).customer, ctx, phoneCountry),
      },
      {
        name: 'worldoffice_invoice_creation',
        label: { es: 'Factura en WorldOffice', en: 'WorldOffice invoice' },
        column: 'Factura',
        flag: 'WORLDOFFICE_INVOICE_ENABLED',
        dependsOn: ['worldoffice_customer'],
        // WorldOffice has no idempotency key: look the invoice up by our reference first.
        reconcile: async (ctx) => {
          const existing = await findInvoiceByReference(config.worldoffice, extractionOf(ctx).invoiceId, ctx);
          return existing ? withVentasNumber(ctx, existing, 'found') : undefined;
        },
        run: async (ctx) => {
          const { invoiceId, amount, currency } = extractionOf(ctx);
          const existing = await findInvoiceByReference(config.worldoffice, invoiceId, ctx);
          if (existing) {
            ctx.log.warn('invoice already exists in WorldOffice: not creating another', { number: existing.number, reference: invoiceId });
            return withVentasNumber(ctx, existing, 'found');
          }
          const created = await createInvoice(
            config.worldoffice,
            { customerId: customerIdOf(ctx), reference: invoiceId, amount, currency, description: fr360Of(ctx).product.name },
            ctx,
          );
          return withVentasNumber(ctx, created, 'created');
        },
      },
      {
        name: 'worldoffice_invoice_accounting',
        label: { es: 'Contabilización de la factura', en: 'Invoice accounting' },
        column: 'Factura',
        dependsOn: ['worldoffice_invoice_creation'],
        run: async (ctx) => {
          const invoiceId = invoiceIdOf(ctx);
          return { invoiceId, ...(await accountInvoice(config.worldoffice, invoiceId, ctx)) };
        },
      },
      {
        name: 'worldoffice_dian_emission',
        label: { es: 'Factura electrónica DIAN', en: 'DIAN e-invoice' },
        column: 'DIAN',
        flag: 'WORLDOFFICE_DIAN_ENABLED',
        dependsOn: ['worldoffice_invoice_accounting'],
        run: async (ctx) => {
          const invoiceId = invoiceIdOf(ctx);
          return { invoiceId, ...(await emitToDian(config.worldoffice, invoiceId, ctx)) };
        },
      },
      {
        name: 'strapi_cartera_update',
        label: { es: 'Cartera', en: 'Accounts receivable' },
        column: 'Cartera',
        dependsOn: ['fr360_query'],
        // Strapi has no idempotency key: the payment counts once because we look for our
        // reference among the cartera's payments before applying it (here and in run).
        reconcile: async (ctx) => {
          const cartera = await findCartera(config.strapi, fr360Of(ctx).agreementId, ctx);
          return cartera && carteraPaymentOf(cartera, ctx) !== undefined ? carteraData(cartera, false) : undefined;
        },
        run: async (ctx) => {
          const { agreementId, customer, product } = fr360Of(ctx);
          const reference = paymentReference(ctx);
          const cartera = await findOrCreateCartera(
            config.strapi,
            {
              acuerdo: agreementId,
              documentId: customer.documentId,
              customerName: customer.name,
              total: product.price * product.installments,
              phone: customer.phone,
              phoneCountry,
            },
            ctx,
          );
          if (carteraPaymentOf(cartera, ctx) !== undefined) {
            ctx.log.warn('payment already applied to the cartera: not applying it again', { carteraId: cartera.id, reference });
            return carteraData(cartera, false);
          }
          const updated = await applyPayment(config.strapi, cartera.documentId, { reference, amount: extractionOf(ctx).amount }, ctx);
          return carteraData(updated, true);
        },
      },
      {
        name: 'strapi_facturacion_creation',
        label: { es: 'Registro de ventas', en: 'Sales record' },
        column: 'Ventas',
        dependsOn: ['fr360_query'],
        // Not on the invoice: Ventas is recorded even with the invoice flag off. The number is
        // read here when the invoice came first, and written by the invoice stage when it comes
        // later (a lost reply retried after this stage, or a manual re-run with the flag on).
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          const { invoiceId, amount, currency } = extractionOf(ctx);
          return upsertFacturacion(
            config.strapi,
            {
              reference: invoiceId,
              documentId: customer.documentId,
              customerName: customer.name,
              product: product.name,
              amount,
              currency,
              invoiceNumber: invoiceNumberOf(ctx),
              phone: customer.phone,
              phoneCountry,
            },
            ctx,
          );
        },
      },
    ],
  });
  return withStageTimeout(pipeline, config);

  /**
   * The invoice's data, once Ventas (if it was recorded before the invoice existed) carries the
   * invoice's number: the invoice stage is done only then, so a crash or a failed Strapi call
   * in between is retried (by `reconcile`, which finds the invoice and comes back here).
   */
  async function withVentasNumber(ctx: StageContext, invoice: WorldOfficeInvoice, how: 'created' | 'found'): Promise<JsonObject> {
    // The invoice's number among the payment's references: the panel says "Factura en WorldOffice: N" and a
    // search by that number finds the payment (finance is asked about invoices by number).
    ctx.annotate({ references: { worldofficeInvoice: String(invoice.number) } });
    const ventas = await setFacturacionInvoiceNumber(config.strapi, invoice.reference, invoice.number, ctx);
    return { invoiceId: invoice.id, number: invoice.number, reference: invoice.reference, amount: invoice.amount, how, ventas };
  }
}

/**
 * Without a store: one payment state per entity (the source's entity key). A pending payment
 * may still be accepted or rejected; an accepted one may be reversed; a second "accepted" of
 * one entity is an invalid transition, ignored by the engine before any stage.
 */
const paymentStateMachine = {
  states: ['pending', 'accepted', 'rejected', 'reversed'],
  transitions: { pending: ['accepted', 'rejected'], accepted: ['reversed'], rejected: [], reversed: [] },
  targetState: (event: EventRecord) => event.transactionStatus ?? undefined,
};

function carteraData(cartera: Cartera, applied: boolean): JsonObject {
  return {
    carteraId: cartera.id,
    documentId: cartera.documentId,
    acuerdo: cartera.acuerdo,
    applied,
    totalPaid: cartera.totalPaid,
    balance: cartera.balance,
  };
}
