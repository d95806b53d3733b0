import { definePipeline, type PipelineDefinition, type StageContext } from '../../src/core/pipeline.js';
import type { ColumnConfig, FlagConfig } from '../../src/core/config.js';
import type { JsonObject } from '../../src/core/types.js';
import type { FacturadorConfig } from './config.js';
import { sendWhatsApp } from './connectors/callbell.js';
import { upsertContact } from './connectors/clientify.js';
import { lookUpInvoice } from './connectors/fr360.js';
import { createMembership } from './connectors/frapp.js';
import { applyPayment, createCartera, findCartera, upsertFacturacion, type Cartera } from './connectors/strapi.js';
import {
  accountInvoice,
  createInvoice,
  emitToDian,
  findInvoiceByReference,
  findOrCreateCustomer,
  type WorldOfficeInvoice,
} from './connectors/worldoffice.js';
import { customerIdOf, epaycoStateCode, extractInvoice, extractionOf, fr360Of, invoiceIdOf, invoiceNumberOf } from './data.js';

/**
 * The seeds' Facturador: what happens after ePayco confirms a payment. Eleven stages, each
 * checkpointed by the engine; the ones that talk to systems without idempotency keys
 * (WorldOffice, Strapi) look their effect up by reference before making it, so a retry, a
 * crash or a reply lost after the effect never makes a second invoice or counts a payment
 * twice (the incident of webhook 373).
 */

export const facturadorColumns: ColumnConfig[] = [
  { key: 'FRAPP', label: 'FRAPP' },
  { key: 'CRM', label: 'CRM' },
  { key: 'WO', label: 'WO' },
  { key: 'Factura', label: 'Factura' },
  { key: 'DIAN', label: 'DIAN' },
  { key: 'Cartera', label: 'Cartera' },
  { key: 'Ventas', label: 'Ventas' },
];

/**
 * The seeds' FLAG_PERMISSIONS, by role: memberships only for admins (admin1@), the
 * WorldOffice flags also for finance (finance1@, finance2@).
 */
export const facturadorFlags: FlagConfig[] = [
  { key: 'MEMBERSHIPS_ENABLED', description: 'Crear la membresía en FRAPP al recibir un pago aceptado', default: true, allowed: ['admin'] },
  {
    key: 'WORLDOFFICE_INVOICE_ENABLED',
    description: 'Crear y contabilizar la factura en WorldOffice',
    default: true,
    allowed: ['admin', 'finance'],
  },
  {
    key: 'WORLDOFFICE_DIAN_ENABLED',
    description: 'Emitir la factura electrónica a la DIAN desde WorldOffice',
    default: true,
    allowed: ['admin', 'finance'],
  },
];

export function facturadorPipeline(config: FacturadorConfig): PipelineDefinition {
  const source = config.source ?? 'epayco';
  const pipeline = definePipeline({
    name: 'facturador',
    match: (event) => event.source === source,
    notApplicable: (event) => {
      const status = event.transactionStatus;
      if (status === 'accepted') return undefined;
      if (status === null && epaycoStateCode(event) === '1') return undefined;
      return `transaction ${status ?? `with ePayco state ${epaycoStateCode(event) ?? 'unknown'}`}: only accepted payments are invoiced`;
    },
    entity: {
      states: ['pending', 'accepted', 'rejected', 'reversed'],
      // A pending payment may still be accepted or rejected; an accepted one may be reversed.
      transitions: { pending: ['accepted', 'rejected'], accepted: ['reversed'], rejected: [], reversed: [] },
      targetState: (event) => event.transactionStatus ?? undefined,
    },
    stages: [
      {
        name: 'invoice_extraction',
        run: async (ctx) => {
          const extraction = extractInvoice(ctx.payload);
          ctx.annotate({
            amount: extraction.amount,
            currency: extraction.currency,
            references: { invoiceId: extraction.invoiceId, refPayco: extraction.refPayco, transactionId: extraction.transactionId },
          });
          return { ...extraction };
        },
      },
      {
        name: 'fr360_query',
        dependsOn: ['invoice_extraction'],
        run: async (ctx) => {
          const found = await lookUpInvoice(config.fr360, extractionOf(ctx).invoiceId, ctx.signal);
          ctx.annotate({
            customer: { ...found.customer },
            product: { name: found.product.name, id: found.product.id, price: found.product.price },
          });
          return { ...found, customer: { ...found.customer }, product: { ...found.product } };
        },
      },
      {
        name: 'callbell_notification',
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          const { amount, currency } = extractionOf(ctx);
          const text = `Hola ${customer.name}, recibimos tu pago de ${formatMoney(amount, currency)} por ${product.name}. ¡Gracias!`;
          return sendWhatsApp(config.callbell, { to: customer.phone, text }, ctx.idempotencyKey, ctx.signal);
        },
      },
      {
        name: 'membership_creation',
        column: 'FRAPP',
        flag: 'MEMBERSHIPS_ENABLED',
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product, invoiceId } = fr360Of(ctx);
          const membership = await createMembership(
            config.frapp,
            { email: customer.email, documentId: customer.documentId, name: customer.name, plan: product.plan, months: product.months, reference: invoiceId },
            ctx.idempotencyKey,
            ctx.signal,
          );
          return { ...membership };
        },
      },
      {
        name: 'crm_upsert',
        column: 'CRM',
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          return upsertContact(config.clientify, { ...customer, tags: [product.name] }, ctx.signal);
        },
      },
      {
        name: 'worldoffice_customer',
        column: 'WO',
        dependsOn: ['fr360_query'],
        run: async (ctx) => findOrCreateCustomer(config.worldoffice, fr360Of(ctx).customer, ctx.signal),
      },
      {
        name: 'worldoffice_invoice_creation',
        column: 'Factura',
        flag: 'WORLDOFFICE_INVOICE_ENABLED',
        dependsOn: ['worldoffice_customer'],
        // WorldOffice has no idempotency key: look the invoice up by our reference first.
        reconcile: async (ctx) => {
          const existing = await findInvoiceByReference(config.worldoffice, extractionOf(ctx).invoiceId, ctx.signal);
          return existing ? invoiceData(existing, 'found') : undefined;
        },
        run: async (ctx) => {
          const { invoiceId, amount, currency } = extractionOf(ctx);
          const existing = await findInvoiceByReference(config.worldoffice, invoiceId, ctx.signal);
          if (existing) {
            ctx.log.warn('invoice already exists in WorldOffice: not creating another', { number: existing.number, reference: invoiceId });
            return invoiceData(existing, 'found');
          }
          const created = await createInvoice(
            config.worldoffice,
            { customerId: customerIdOf(ctx), reference: invoiceId, amount, currency, description: fr360Of(ctx).product.name },
            ctx.signal,
          );
          return invoiceData(created, 'created');
        },
      },
      {
        name: 'worldoffice_invoice_accounting',
        column: 'Factura',
        dependsOn: ['worldoffice_invoice_creation'],
        run: async (ctx) => {
          const invoiceId = invoiceIdOf(ctx);
          return { invoiceId, ...(await accountInvoice(config.worldoffice, invoiceId, ctx.signal)) };
        },
      },
      {
        name: 'worldoffice_dian_emission',
        column: 'DIAN',
        flag: 'WORLDOFFICE_DIAN_ENABLED',
        dependsOn: ['worldoffice_invoice_accounting'],
        run: async (ctx) => {
          const invoiceId = invoiceIdOf(ctx);
          return { invoiceId, ...(await emitToDian(config.worldoffice, invoiceId, ctx.signal)) };
        },
      },
      {
        name: 'strapi_cartera_update',
        column: 'Cartera',
        dependsOn: ['fr360_query'],
        // Strapi has no idempotency key: the payment counts once because we look for our
        // reference among the cartera's payments before applying it (here and in run).
        reconcile: async (ctx) => {
          const cartera = await findCartera(config.strapi, fr360Of(ctx).agreementId, ctx.signal);
          return cartera && hasPayment(cartera, paymentReference(ctx)) ? carteraData(cartera, false) : undefined;
        },
        run: async (ctx) => {
          const { agreementId, customer, product } = fr360Of(ctx);
          const reference = paymentReference(ctx);
          const cartera =
            (await findCartera(config.strapi, agreementId, ctx.signal)) ??
            (await createCartera(
              config.strapi,
              { acuerdo: agreementId, documentId: customer.documentId, customerName: customer.name, total: product.price * product.installments },
              ctx.signal,
            ));
          if (hasPayment(cartera, reference)) {
            ctx.log.warn('payment already applied to the cartera: not applying it again', { carteraId: cartera.id, reference });
            return carteraData(cartera, false);
          }
          const updated = await applyPayment(config.strapi, cartera.id, { reference, amount: extractionOf(ctx).amount }, ctx.signal);
          return carteraData(updated, true);
        },
      },
      {
        name: 'strapi_facturacion_creation',
        column: 'Ventas',
        dependsOn: ['fr360_query'],
        run: async (ctx) => {
          const { customer, product } = fr360Of(ctx);
          const { invoiceId, amount, currency } = extractionOf(ctx);
          return upsertFacturacion(
            config.strapi,
            { reference: invoiceId, documentId: customer.documentId, customerName: customer.name, product: product.name, amount, currency, invoiceNumber: invoiceNumberOf(ctx) },
            ctx.signal,
          );
        },
      },
    ],
  });
  if (config.stageTimeoutMs === undefined) return pipeline;
  const timeoutMs = config.stageTimeoutMs;
  return definePipeline({ ...pipeline, stages: pipeline.stages.map((stage) => ({ ...stage, timeoutMs })) });
}

function invoiceData(invoice: WorldOfficeInvoice, how: 'created' | 'found'): JsonObject {
  return { invoiceId: invoice.id, number: invoice.number, reference: invoice.reference, amount: invoice.amount, how };
}

/** The payment's own id at ePayco: what the cartera records against each applied payment. */
function paymentReference(ctx: StageContext): string {
  const { refPayco, transactionId, invoiceId } = extractionOf(ctx);
  return `epayco:${refPayco || transactionId || invoiceId}`;
}

function hasPayment(cartera: Cartera, reference: string): boolean {
  return cartera.payments.some((payment) => payment.reference === reference);
}

function carteraData(cartera: Cartera, applied: boolean): JsonObject {
  return { carteraId: cartera.id, acuerdo: cartera.acuerdo, applied, totalPaid: cartera.totalPaid, balance: cartera.balance };
}

function formatMoney(amount: number, currency: string): string {
  return `${new Intl.NumberFormat('es-CO', { maximumFractionDigits: 2 }).format(amount)} ${currency}`;
}
