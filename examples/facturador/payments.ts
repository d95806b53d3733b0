import { z } from 'zod';
import type { EntityState, EventRecord, JsonObject, StageContext, StageDefinition, Store } from '../../src/index.js';
import type { FacturadorStore } from './store.js';
import { epaycoFields, extractInvoice, extractionOf, type Extraction } from './data.js';

/**
 * One invoice, one payer. ePayco may confirm several transactions for one invoice (a rejected
 * card then another card, or a customer who pays twice in two tabs). The first accepted
 * transaction processed claims the invoice — a compare-and-set on a row of webpig's entity
 * states, `facturador:invoice:<invoice>` = `paid` by that event — and only the claiming event
 * runs the effect stages. A later accepted transaction of the same invoice with another
 * `x_ref_payco` is recorded (this stage's data) and raises a `custom` alert "paid twice"
 * naming the invoice, both references and amounts: the customer's money must be returned or
 * applied by a person. The claim is atomic in the store, so it holds even when two events of
 * one invoice run at the same moment (an entity key per `x_ref_payco`, several workers).
 *
 * Reversals: the row names the paying event, so a reversal can be told apart — of the payer's
 * transaction (the invoice is reversed) or of the duplicate (the refund of the second payment:
 * the invoice stays paid).
 */

export { facturadorStoreAt, type FacturadorStore } from './store.js';

export const PAYMENT_STAGE = 'invoice_payment';

/**
 * `payer`: this event claimed the invoice; `repeat`: its payment is the payer's, confirmed
 * again; `paid_twice`; `reversed`: ePayco had already reversed this payment when its
 * acceptance was processed (delivered late): nothing to invoice, the invoice stays unclaimed.
 */
const paymentSchema = z.object({
  role: z.enum(['payer', 'repeat', 'paid_twice', 'reversed']),
  invoiceId: z.string(),
  paidBy: z.object({ eventId: z.number(), refPayco: z.string(), amount: z.number(), currency: z.string() }).nullable(),
  reversedBy: z.number().nullable(),
});
export type InvoicePayment = z.infer<typeof paymentSchema>;

/** The claim's entity key (not the source's entity key: the engine's gate never writes it). */
export function invoiceClaimKey(invoiceId: string): string {
  return `facturador:invoice:${invoiceId}`;
}

/** Why the effect stages do not run for this event, or undefined when it is the invoice's payer. */
export function notThePayer(ctx: StageContext): string | undefined {
  const parsed = paymentSchema.safeParse(ctx.outputs[PAYMENT_STAGE]);
  // No claim stage output means the pipeline runs without a store (the entity gate decides).
  if (!parsed.success || parsed.data.role === 'payer') return undefined;
  const { paidBy, invoiceId, reversedBy, role } = parsed.data;
  if (role === 'reversed' || !paidBy)
    return `this payment was reversed by ePayco (event ${reversedBy ?? '?'}) before it was processed: nothing to invoice`;
  return role === 'repeat'
    ? `payment ${paidBy.refPayco} of invoice ${invoiceId} was already processed by event ${paidBy.eventId}`
    : `invoice ${invoiceId} was already paid by ref_payco ${paidBy.refPayco} (event ${paidBy.eventId}): not invoiced again, see the "paid twice" alert`;
}

export function paymentStage(store: FacturadorStore): StageDefinition {
  return {
    name: PAYMENT_STAGE,
    label: { es: 'Pago de la factura', en: 'Invoice payment' },
    dependsOn: ['invoice_extraction'],
    // Interrupted after the alert and before the checkpoint: the alert is there, do not repeat it.
    reconcile: async (ctx) => {
      const decided = await decide(store, ctx);
      if (decided.role !== 'paid_twice') return decided;
      return (await alertRecorded(store, ctx.event.id)) ? decided : undefined;
    },
    run: async (ctx) => {
      const decided = await decide(store, ctx);
      if (decided.role === 'paid_twice' && decided.paidBy) {
        await store.recordAlert(paidTwiceAlert(ctx, decided.invoiceId, decided.paidBy, extractionOf(ctx)));
        ctx.log.warn('invoice paid twice: this payment is not invoiced', { invoiceId: decided.invoiceId, paidBy: decided.paidBy.refPayco });
      }
      return decided;
    },
  };
}

async function decide(store: FacturadorStore, ctx: StageContext): Promise<InvoicePayment & JsonObject> {
  const mine = extractionOf(ctx);
  const key = invoiceClaimKey(mine.invoiceId);
  let current = await store.getEntityState(key);
  // A resumed run (crash after the claim) finds its own claim.
  if (current?.eventId === ctx.event.id) return result('payer', mine, ctx.event.id, mine);
  const reversal = await reversalOf(store, ctx.event, mine.refPayco);
  if (reversal !== null) return { role: 'reversed', invoiceId: mine.invoiceId, paidBy: null, reversedBy: reversal };
  if (current === null) {
    const written = await store.setEntityState({
      entityKey: key,
      state: 'paid',
      eventId: ctx.event.id,
      occurredAt: ctx.event.occurredAt,
      expectedState: null,
      now: new Date(),
    });
    if (written) return result('payer', mine, ctx.event.id, mine);
    // Lost the race: another payment of this invoice claimed it a moment ago.
    current = await store.getEntityState(key);
    if (current === null) throw new Error(`the claim of invoice ${mine.invoiceId} was neither written nor found`);
  }
  const payer = await payerOf(store, current);
  const samePayment = payer.refPayco !== '' && payer.refPayco === mine.refPayco;
  return result(samePayment ? 'repeat' : 'paid_twice', mine, current.eventId, payer);
}

function result(role: InvoicePayment['role'], mine: Extraction, payerEventId: number, payer: Extraction): InvoicePayment & JsonObject {
  return {
    role,
    invoiceId: mine.invoiceId,
    paidBy: { eventId: payerEventId, refPayco: payer.refPayco, amount: payer.amount, currency: payer.currency },
    reversedBy: null,
  };
}

/**
 * A reversal of this very payment already handled (it found nothing paid, so it reversed
 * nothing): the acceptance arrived after it and must not be invoiced. A reversal still queued
 * is not one: the engine runs it after this earlier acceptance, and it reverses the invoice
 * then. Events of one payment share the entity key (per invoice, or per x_ref_payco on older sources).
 */
async function reversalOf(store: FacturadorStore, event: EventRecord, refPayco: string): Promise<number | null> {
  if (!event.entityKey || !refPayco) return null;
  const page = await store.listEvents({ source: event.source, entityKey: event.entityKey, transactionStatus: 'reversed' }, { limit: 100 });
  return page.items.find((e) => e.status !== 'queued' && epaycoFields(e.payload).x_ref_payco === refPayco)?.id ?? null;
}

async function payerOf(store: FacturadorStore, claim: EntityState): Promise<Extraction> {
  const event = await store.getEvent(claim.eventId);
  if (!event) throw new Error(`event ${claim.eventId}, which paid ${claim.entityKey}, does not exist`);
  return extractInvoice(event.payload);
}

function paidTwiceAlert(
  ctx: StageContext,
  invoiceId: string,
  paidBy: NonNullable<InvoicePayment['paidBy']>,
  mine: Extraction,
): Parameters<Store['recordAlert']>[0] {
  return {
    at: new Date(),
    kind: 'custom',
    eventId: ctx.event.id,
    stage: PAYMENT_STAGE,
    message:
      `paid twice: invoice ${invoiceId} was paid by ref_payco ${paidBy.refPayco} (${paidBy.amount} ${paidBy.currency}, event ${paidBy.eventId}) ` +
      `and again by ref_payco ${mine.refPayco} (${mine.amount} ${mine.currency}, event ${ctx.event.id}); the second payment was not invoiced: refund it or apply it by hand`,
    details: {
      alert: 'paid_twice',
      invoiceId,
      first: { ...paidBy },
      second: { eventId: ctx.event.id, refPayco: mine.refPayco, amount: mine.amount, currency: mine.currency },
    },
  };
}

/** The newest alerts (a crash between the alert and the checkpoint is seconds old at most). */
async function alertRecorded(store: FacturadorStore, eventId: number): Promise<boolean> {
  const page = await store.listAlerts({ limit: 500 });
  return page.items.some((a) => a.eventId === eventId && a.kind === 'custom' && a.details?.alert === 'paid_twice');
}
