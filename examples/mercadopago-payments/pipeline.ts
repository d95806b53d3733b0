import {
  definePipeline,
  HttpCallError,
  PermanentError,
  type ColumnConfig,
  type JsonObject,
  type PipelineDefinition,
  type StageContext,
} from '../../src/index.js';
import { addTags, upsertContact, type GoHighLevelConfig } from './gohighlevel-client.js';
import { isShopPaymentStatus, type PaymentStore, type ShopPaymentStatus } from './payment-store.js';

/**
 * The processor of the seeds' retry guide (`webhook-retry-guide.md`, "Procesador de webhooks"):
 * a one-off MercadoPago payment — not a subscription — is read from MercadoPago's API (the
 * notification is only an id), the shop's payment record is moved forward, and an approved
 * payment's customer is tagged in GoHighLevel. Each stage is checkpointed; the schedule is the
 * guide's own (at once, +1, +5, +15 min, then failed), the engine's default.
 *
 * It listens to its own source: MercadoPago sends one-off payments to the account's webhook
 * URL and subscriptions to the `notification_url` their preapproval names (MercadoPago's webhooks guide),
 * so the two pipelines never compete for a notification.
 */
export interface MercadopagoPaymentsConfig {
  /** (Default: 'mercadopago-payments') */
  source?: string;
  /** https://api.mercadopago.com in production; the sandbox's /sandbox/mercadopago otherwise. */
  mercadopagoApiUrl: string;
  mercadopagoAccessToken?: string;
  payments: PaymentStore;
  gohighlevel: GoHighLevelConfig;
  /** Tags an approved payment's contact gets. (Default: ['pago-aprobado']) */
  tags?: string[];
}

export const MERCADOPAGO_PAYMENTS_COLUMNS: ColumnConfig[] = [
  { key: 'MP', label: 'MercadoPago' },
  { key: 'Tienda', label: { es: 'Tienda', en: 'Shop' } },
  { key: 'GHL', label: 'GoHighLevel' },
];

/** The payment as MercadoPago's `GET /v1/payments/{id}` describes it (the fields used here). */
interface FetchedPayment extends JsonObject {
  id: string;
  status: ShopPaymentStatus;
  amount: number | null;
  currency: string | null;
  orderReference: string;
  payerEmail: string | null;
  description: string | null;
}

/** The payment id a notification names: `data.id` of a webhook, `id` of a legacy IPN. */
function paymentIdOf(payload: unknown): string | null {
  const body = (payload ?? {}) as { data?: { id?: unknown }; id?: unknown; topic?: unknown };
  const id = body.data?.id ?? (body.topic === 'payment' ? body.id : undefined);
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

function isPaymentNotification(payload: unknown): boolean {
  const body = (payload ?? {}) as { type?: unknown; topic?: unknown };
  return body.type === 'payment' || body.topic === 'payment';
}

async function fetchPayment(config: MercadopagoPaymentsConfig, ctx: StageContext): Promise<FetchedPayment> {
  const id = paymentIdOf(ctx.payload);
  if (!id) throw new PermanentError('the notification names no payment id', { code: 'PAYMENT_ID_MISSING' });
  const headers: Record<string, string> = config.mercadopagoAccessToken ? { authorization: `Bearer ${config.mercadopagoAccessToken}` } : {};
  const url = `${config.mercadopagoApiUrl.replace(/\/+$/, '')}/v1/payments/${encodeURIComponent(id)}`;
  const response = await ctx.http.fetch(url, { headers, signal: ctx.signal });
  if (!response.ok) throw new HttpCallError(response.status, `MercadoPago: GET /v1/payments/${id} answered ${response.status}`);
  const payment = (await response.json()) as Record<string, unknown>;
  const status = String(payment.status ?? '');
  if (!isShopPaymentStatus(status))
    throw new PermanentError(`payment ${id} has an unknown status "${status}"`, { code: 'PAYMENT_STATUS_UNKNOWN' });
  const payer = (payment.payer ?? {}) as { email?: unknown };
  return {
    id,
    status,
    amount: typeof payment.transaction_amount === 'number' ? payment.transaction_amount : null,
    currency: typeof payment.currency_id === 'string' ? payment.currency_id : null,
    // A payment without the shop's reference is still recorded, under its own id.
    orderReference: typeof payment.external_reference === 'string' && payment.external_reference ? payment.external_reference : `mp-${id}`,
    payerEmail: typeof payer.email === 'string' ? payer.email : null,
    description: typeof payment.description === 'string' ? payment.description : null,
  };
}

const fetchedOf = (ctx: StageContext): FetchedPayment => ctx.outputs.fetch_payment as FetchedPayment;

export function mercadopagoPaymentsPipeline(config: MercadopagoPaymentsConfig): PipelineDefinition {
  const source = config.source ?? 'mercadopago-payments';
  const tags = config.tags ?? ['pago-aprobado'];
  return definePipeline({
    name: 'mercadopago-payments',
    label: { es: 'Pagos de MercadoPago', en: 'MercadoPago payments' },
    match: (event) => event.source === source,
    notApplicable: (event) =>
      isPaymentNotification(event.payload)
        ? undefined
        : {
            es: `no es una notificación de pago (${event.type}): este flujo atiende pagos únicos`,
            en: `not a payment notification (${event.type}): this pipeline handles one-off payments`,
          },
    stages: [
      {
        name: 'fetch_payment',
        label: { es: 'Consulta del pago en MercadoPago', en: 'MercadoPago payment look-up' },
        column: 'MP',
        // A GET of the payment: no mark of its own (a crash here simply asks again).
        effects: 'none',
        run: async (ctx) => {
          const payment = await fetchPayment(config, ctx);
          ctx.annotate({
            ...(payment.amount !== null ? { amount: payment.amount } : {}),
            ...(payment.currency ? { currency: payment.currency } : {}),
            ...(payment.payerEmail ? { customer: { email: payment.payerEmail } } : {}),
            ...(payment.description ? { product: { name: payment.description } } : {}),
            references: { orderReference: payment.orderReference, mercadopagoStatus: payment.status },
          });
          return payment;
        },
      },
      {
        name: 'update_shop_payment',
        label: { es: 'Pago en la tienda', en: "Shop's payment record" },
        column: 'Tienda',
        dependsOn: ['fetch_payment'],
        run: async (ctx) => {
          const payment = fetchedOf(ctx);
          const { outcome, payment: stored } = config.payments.applyPayment({
            orderReference: payment.orderReference,
            mercadopagoPaymentId: payment.id,
            status: payment.status,
            amount: payment.amount,
            currency: payment.currency,
            payerEmail: payment.payerEmail,
            now: new Date(),
          });
          // Another payment of an order already on one (a second charge, a late rejected card):
          // the order's own payment is named, so a person can see which one paid it.
          const data: JsonObject = { outcome, status: stored.status };
          if (outcome === 'other_payment') data.orderPayment = stored.mercadopagoPaymentId;
          return data;
        },
      },
      {
        name: 'tag_crm',
        label: { es: 'Etiqueta en GoHighLevel', en: 'GoHighLevel tag' },
        column: 'GHL',
        dependsOn: ['update_shop_payment'],
        when: (ctx) => {
          const payment = fetchedOf(ctx);
          if (payment.status !== 'approved') return `payment is ${payment.status}: only approved payments are tagged`;
          return payment.payerEmail ? true : 'the payment has no payer e-mail';
        },
        run: async (ctx) => {
          const payment = fetchedOf(ctx);
          const contact = await upsertContact(config.gohighlevel, { email: payment.payerEmail as string }, ctx.signal);
          // Tags are a set at GoHighLevel; asking only for the missing ones keeps one request per tag.
          const missing = tags.filter((tag) => !contact.tags.includes(tag));
          const now = missing.length > 0 ? await addTags(config.gohighlevel, contact.id, missing, ctx.signal) : contact.tags;
          return { contactId: contact.id, tags: now, added: missing };
        },
      },
    ],
  });
}
