import { definePipeline, type PipelineDefinition, type StageDefinition, type StageLabel } from '../../src/index.js';
import type { FacturadorConfig } from './config.js';
import { lookUpInvoice, withCustomerPhone } from './connectors/fr360.js';
import { epaycoFields, extractInvoice, extractionOf } from './data.js';

/**
 * The stages the payment pipeline (pipeline.ts) and the reversal pipeline (reversals.ts) share:
 * both read the same ePayco confirmation and look the same invoice up in FR360.
 */

/** Reads the invoice, amount and references from the payload: no mark of its own; its outcome goes with the next stage's. */
export function invoiceExtractionStage(label: StageLabel): StageDefinition {
  return {
    name: 'invoice_extraction',
    label,
    effects: 'none',
    run: async (ctx) => {
      const extraction = extractInvoice(ctx.payload);
      ctx.annotate({
        amount: extraction.amount,
        currency: extraction.currency,
        references: { invoiceId: extraction.invoiceId, refPayco: extraction.refPayco, transactionId: extraction.transactionId },
      });
      return { ...extraction };
    },
  };
}

/**
 * The invoice's customer and product from FR360 (the customer's phone from the payload when
 * FR360 has none), put in the event's summary. A GET: nothing to look up after a crash, it
 * simply asks again. Every later stage depends on this one, so `when` skipping it skips them all.
 */
export function fr360QueryStage(config: FacturadorConfig, options: Pick<StageDefinition, 'dependsOn' | 'when'>): StageDefinition {
  return {
    name: 'fr360_query',
    label: { es: 'Consulta de la factura en FR360', en: 'FR360 invoice look-up' },
    effects: 'none',
    ...options,
    run: async (ctx) => {
      const found = withCustomerPhone(await lookUpInvoice(config.fr360, extractionOf(ctx).invoiceId, ctx), epaycoFields(ctx.payload));
      const { phone, ...customer } = found.customer;
      ctx.annotate({
        customer: phone ? { ...customer, phone } : customer,
        product: { name: found.product.name, id: found.product.id, price: found.product.price },
      });
      return found;
    },
  };
}

/** The pipeline with `config.stageTimeoutMs` on every stage, when the config sets one. */
export function withStageTimeout(pipeline: PipelineDefinition, config: FacturadorConfig): PipelineDefinition {
  if (config.stageTimeoutMs === undefined) return pipeline;
  const timeoutMs = config.stageTimeoutMs;
  return definePipeline({ ...pipeline, stages: pipeline.stages.map((stage) => ({ ...stage, timeoutMs })) });
}
