import { z } from 'zod';
import {
  definePipeline,
  PermanentError,
  RetriableError,
  type ColumnConfig,
  type EventRecord,
  type JsonObject,
  type JsonValue,
  type PipelineDefinition,
  type StageContext,
} from '../../src/index.js';
import { ActivationError, applyPreapproval, parseSubscriptionReference } from './activation.js';
import { MercadoPagoApiError, MercadoPagoClient, type Preapproval } from './mercadopago-client.js';
import { SubscriptionStoreError, type SubscriptionStore } from './subscription-store.js';

export interface SubscriptionsConfig {
  /** The application's subscriptions database (see subscription-store.ts). */
  subscriptions: SubscriptionStore;
  /** MercadoPago's API: https://api.mercadopago.com, or the sandbox. */
  mercadopagoApiUrl: string;
  /** MercadoPago access token (from the environment); never logged. (Default: none) */
  mercadopagoAccessToken?: string;
  /** Name of the MercadoPago source. (Default: 'mercadopago') */
  source?: string;
  /** (Default: 'subscriptions') */
  name?: string;
}

export const SUBSCRIPTIONS_COLUMNS: ColumnConfig[] = [
  { key: 'mercadopago', label: 'MercadoPago' },
  { key: 'subscription', label: { es: 'Suscripción', en: 'Subscription' } },
];

const TOPICS = ['subscription_preapproval', 'subscription_authorized_payment', 'payment'] as const;
type Topic = (typeof TOPICS)[number];

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Topic and object id of a notification: JSON webhooks `{type, data:{id}}` or IPN `{topic, id}`. */
export function notificationTarget(payload: JsonValue): { topic: Topic; id: string } | null {
  if (!isObject(payload)) return null;
  const topic = typeof payload.type === 'string' ? payload.type : payload.topic;
  const rawId = isObject(payload.data) ? payload.data.id : payload.id;
  const id = typeof rawId === 'number' ? String(rawId) : rawId;
  if (typeof topic !== 'string' || !(TOPICS as readonly string[]).includes(topic)) return null;
  if (typeof id !== 'string' || id === '') return null;
  return { topic: topic as Topic, id };
}

/** What the first stage learned from MercadoPago (its checkpoint data). */
const fetchedSchema = z.object({
  topic: z.string(),
  relevant: z.boolean(),
  reason: z.string().nullable(),
  preapproval: z
    .object({
      id: z.string(),
      status: z.enum(['pending', 'authorized', 'paused', 'cancelled']),
      external_reference: z.string().nullable(),
      payer_email: z.string().nullable(),
      // What completes the row (the report's product_name, base_price, next_billing_date);
      // optional: checkpoints written before they were kept lack them.
      reason: z.string().nullable().optional(),
      next_payment_date: z.string().nullable().optional(),
      auto_recurring: z
        .object({ transaction_amount: z.number().nullable().optional(), currency_id: z.string().optional() })
        .nullable()
        .optional(),
    })
    .nullable(),
  paymentId: z.string().nullable(),
  /** Set for a payment that names no preapproval: the reference it activates. */
  externalReference: z.string().nullable(),
});
type Fetched = z.infer<typeof fetchedSchema>;

/** The preapproval fields kept as checkpoint data (not the whole API object). */
function slim(preapproval: Preapproval): NonNullable<Fetched['preapproval']> {
  return {
    id: preapproval.id,
    status: preapproval.status,
    external_reference: preapproval.external_reference ?? null,
    payer_email: preapproval.payer_email ?? null,
    reason: preapproval.reason ?? null,
    next_payment_date: preapproval.next_payment_date ?? null,
    auto_recurring: preapproval.auto_recurring
      ? {
          transaction_amount: preapproval.auto_recurring.transaction_amount ?? null,
          ...(preapproval.auto_recurring.currency_id ? { currency_id: preapproval.auto_recurring.currency_id } : {}),
        }
      : null,
  };
}

function asStageError(err: unknown): unknown {
  if (err instanceof MercadoPagoApiError) {
    return err.retriable
      ? new RetriableError(err.message, { cause: err, code: err.code })
      : new PermanentError(err.message, { cause: err, code: err.code });
  }
  if (err instanceof ActivationError || err instanceof SubscriptionStoreError) {
    return new PermanentError(err.message, { cause: err, code: err.code });
  }
  return err;
}

/**
 * MercadoPago subscription notifications → the one subscription row, activated once.
 * Stage 1 reads the object from the API (the notification is only an id); stage 2 applies
 * it to the application database, creating the row if the notification beat the checkout.
 * Both are safe to repeat: a re-read returns the current truth, and the store's conditional
 * UPDATE turns a second activation into `already_active`.
 */
export function subscriptionsPipeline(config: SubscriptionsConfig): PipelineDefinition {
  const source = config.source ?? 'mercadopago';
  const mercadopago = new MercadoPagoClient({ baseUrl: config.mercadopagoApiUrl, accessToken: config.mercadopagoAccessToken });

  async function fetchNotified(ctx: StageContext, topic: Topic, id: string): Promise<Fetched> {
    const found = (preapproval: Preapproval | null, paymentId: string | null, externalReference: string | null = null): Fetched => ({
      topic,
      relevant: true,
      reason: null,
      preapproval: preapproval ? slim(preapproval) : null,
      paymentId,
      externalReference,
    });
    const irrelevant = (reason: string): Fetched => ({ ...found(null, null), relevant: false, reason });
    if (topic === 'subscription_preapproval') return found(await mercadopago.getPreapproval(id, ctx), null);
    if (topic === 'subscription_authorized_payment') {
      const authorized = await mercadopago.getAuthorizedPayment(id, ctx);
      const preapproval = await mercadopago.getPreapproval(authorized.preapproval_id, ctx);
      return found(preapproval, authorized.payment?.id ?? null);
    }
    const payment = await mercadopago.getPayment(id, ctx);
    const preapprovalId = payment.metadata?.preapproval_id;
    if (preapprovalId) return found(await mercadopago.getPreapproval(preapprovalId, ctx), payment.id);
    // A payment that names no preapproval may still be a subscription's first charge, known by
    // its external reference; an approved one activates.
    const reference = payment.external_reference ?? '';
    if (!parseSubscriptionReference(reference)) return irrelevant(`payment ${payment.id} is not a subscription of this shop`);
    if (payment.status !== 'approved') return irrelevant(`payment ${payment.id} is ${payment.status}, not approved`);
    return found(null, payment.id, reference);
  }

  return definePipeline({
    name: config.name ?? 'subscriptions',
    label: { es: 'Suscripciones (MercadoPago)', en: 'Subscriptions (MercadoPago)' },
    match: (event: EventRecord) => event.source === source && notificationTarget(event.payload) !== null,
    stages: [
      {
        name: 'fetch_mercadopago',
        label: { es: 'Consulta en MercadoPago', en: 'MercadoPago look-up' },
        column: 'mercadopago',
        // GETs only: no mark of its own (a crash here simply asks again).
        effects: 'none',
        async run(ctx): Promise<Fetched> {
          const target = notificationTarget(ctx.payload);
          if (!target) throw new PermanentError('the notification names no topic and id', { code: 'NOTIFICATION_INVALID' });
          try {
            const fetched = await fetchNotified(ctx, target.topic, target.id);
            const preapproval = fetched.preapproval;
            const plan = planOf(fetched);
            ctx.annotate({
              ...(preapproval?.payer_email ? { customer: { email: preapproval.payer_email } } : {}),
              ...(plan ? { product: plan } : {}),
              references: {
                mercadopagoId: target.id,
                ...(preapproval ? { preapproval: preapproval.id } : {}),
                ...(preapproval?.external_reference ? { externalReference: preapproval.external_reference } : {}),
              },
            });
            return fetched;
          } catch (err) {
            throw asStageError(err);
          }
        },
      },
      {
        name: 'activate_subscription',
        label: { es: 'Activación de la suscripción', en: 'Subscription activation' },
        column: 'subscription',
        dependsOn: ['fetch_mercadopago'],
        when: (ctx) => {
          const fetched = fetchedSchema.safeParse(ctx.outputs['fetch_mercadopago']);
          return !fetched.success || fetched.data.relevant || (fetched.data.reason ?? 'not a subscription');
        },
        async run(ctx): Promise<JsonValue> {
          const fetched = fetchedSchema.parse(ctx.outputs['fetch_mercadopago']);
          try {
            const now = new Date();
            const preapproval = fetched.preapproval;
            const result = preapproval
              ? applyPreapproval(config.subscriptions, preapproval, { via: 'webhook', paymentId: fetched.paymentId, now })
              : applyApprovedPayment(config.subscriptions, fetched, now);
            ctx.log.info(`subscription ${result.outcome}`, { subscriptionId: result.record.id, outcome: result.outcome });
            // On the event's summary, so a person sees in the events list and `webpig events show`
            // which subscription a notification touched and whether it activated it or found it
            // active already (the report's duplicates: many notifications, one row, one activation).
            ctx.annotate({ references: { subscription: String(result.record.id), activation: result.outcome } });
            return { subscriptionId: result.record.id, outcome: result.outcome, status: result.record.status };
          } catch (err) {
            throw asStageError(err);
          }
        },
      },
    ],
  });
}

/**
 * The plan a notification is about, for the summary's product: its id from the external
 * reference, and MercadoPago's name (`reason`) and recurring amount when the preapproval has them.
 */
function planOf(fetched: Fetched): { id: string; name?: string; price?: number } | null {
  const owner = parseSubscriptionReference(fetched.preapproval?.external_reference ?? fetched.externalReference ?? '');
  if (!owner) return null;
  const reason = fetched.preapproval?.reason;
  const price = fetched.preapproval?.auto_recurring?.transaction_amount;
  return { id: owner.planId, ...(reason ? { name: reason } : {}), ...(typeof price === 'number' ? { price } : {}) };
}

/** A subscription's approved charge that names no preapproval: activate by its external reference. */
function applyApprovedPayment(subscriptions: SubscriptionStore, fetched: Fetched, now: Date) {
  const owner = parseSubscriptionReference(fetched.externalReference ?? '');
  if (!owner || !fetched.paymentId) {
    throw new PermanentError('an approved payment without a subscription reference', { code: 'PAYMENT_INVALID' });
  }
  return subscriptions.applyProviderStatus({
    ...owner,
    externalReference: fetched.externalReference ?? '',
    preapprovalId: null,
    paymentId: fetched.paymentId,
    status: 'payment_approved',
    via: 'webhook',
    now,
  });
}
