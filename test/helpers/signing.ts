/**
 * Signed deliveries for every provider, for any test (and sample bodies to sign).
 *
 *   const signed = signStripe({ payload: stripeEvent({ id: 'evt_1' }), secret: 'whsec_test' });
 *   await sendDelivery(baseUrl, 'stripe', signed);          // over real HTTP
 *   await adapter.verify(toIncoming(signed), new Date());    // straight into an adapter
 *
 * The signing itself lives in src/sources/signing.ts (the demo uses it at run time).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingDelivery } from '../../src/sources/source.js';
import type { SignedDelivery } from '../../src/sources/signing.js';

export { signCustom, signEpayco, signMercadopago, signStripe } from '../../src/sources/signing.js';
export type { CustomSigning, EpaycoSigning, MercadopagoSigning, SignedDelivery, StripeSigning } from '../../src/sources/signing.js';

/** Secrets the test configs below use. */
export const TEST_SECRETS = {
  stripe: 'whsec_test_secret_current',
  stripeOld: 'whsec_test_secret_previous',
  mercadopago: 'mp-test-secret-current',
  mercadopagoOld: 'mp-test-secret-previous',
  epaycoCustomerId: '1234567',
  epaycoPKey: 'epayco-p-key-current',
  epaycoPKeyOld: 'epayco-p-key-previous',
  custom: 'custom-test-secret-current',
  customOld: 'custom-test-secret-previous',
} as const;

/** A Stripe event about a payment intent (or any object you pass). */
export function stripeEvent(
  options: {
    id?: string;
    type?: string;
    created?: number;
    object?: Record<string, unknown>;
    /** Pads the event with metadata to reach about this many bytes. */
    padToBytes?: number;
    /** (Default: true, a live account's event) */
    livemode?: boolean;
  } = {},
): Record<string, unknown> {
  const object = options.object ?? {
    id: 'pi_test_1',
    object: 'payment_intent',
    amount: 150000,
    amount_received: 150000,
    currency: 'cop',
    description: 'Membresía Elite',
    receipt_email: 'juan@example.com',
    metadata: { invoice: 'INV-1' },
  };
  const event: Record<string, unknown> = {
    id: options.id ?? `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    api_version: '2024-06-20',
    created: options.created ?? Math.floor(Date.now() / 1000),
    type: options.type ?? 'payment_intent.succeeded',
    // A live account's event: a source not in test mode takes `livemode: false` for no payment.
    livemode: options.livemode ?? true,
    pending_webhooks: 1,
    data: { object },
  };
  if (options.padToBytes) {
    const size = JSON.stringify(event).length;
    if (size < options.padToBytes) event.padding = 'x'.repeat(options.padToBytes - size - 13);
  }
  return event;
}

/** The x_* fields of an ePayco confirmation (unsigned; pass to signEpayco). */
export function epaycoFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    x_cust_id_cliente: '1234567',
    x_ref_payco: '98765432',
    x_transaction_id: '1234567890123',
    x_amount: '250000.00',
    x_currency_code: 'COP',
    x_cod_transaction_state: '1',
    x_cod_response: '1',
    x_response: 'Aceptada',
    x_approval_code: '482913',
    x_franchise: 'VS',
    x_fecha_transaccion: '2025-01-27 10:30:00',
    x_description: 'Membresía Elite',
    x_id_invoice: 'INV-20250127-001',
    x_extra1: 'order-77',
    x_customer_name: 'Juan',
    x_customer_lastname: 'Pérez',
    x_customer_document: '1020304050',
    x_customer_email: 'juan@example.com',
    x_customer_movil: '3001234567',
    x_test_request: 'FALSE',
    ...overrides,
  };
}

/** A MercadoPago webhook body about a payment. */
export function mercadopagoBody(
  options: {
    notificationId?: number;
    dataId?: string;
    type?: string;
    action?: string;
  } = {},
): Record<string, unknown> {
  return {
    id: options.notificationId ?? 12345,
    live_mode: false,
    type: options.type ?? 'payment',
    date_created: '2025-01-27T15:30:00.000-04:00',
    user_id: 44444,
    api_version: 'v1',
    action: options.action ?? 'payment.updated',
    data: { id: options.dataId ?? '123456789' },
  };
}

/** A body for the custom source config used by the tests (`paths.eventId = "id"`…). */
export function customBody(options: { id?: string; entity?: string; padToBytes?: number } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: options.id ?? randomUUID(),
    type: 'order.paid',
    order: { id: options.entity ?? 'order-1', status: 'accepted' },
    occurred_at: '2025-01-27T15:30:00Z',
  };
  if (options.padToBytes) {
    const size = JSON.stringify(body).length;
    if (size < options.padToBytes) body.padding = 'x'.repeat(options.padToBytes - size - 13);
  }
  return body;
}

/** The delivery an adapter would see for this signed request. */
export function toIncoming(signed: SignedDelivery, overrides: Partial<IncomingDelivery> = {}): IncomingDelivery {
  return {
    method: signed.method,
    headers: { ...signed.headers },
    rawQuery: signed.query.replace(/^\?/, ''),
    rawBody: Buffer.from(signed.body),
    remoteAddress: '127.0.0.1',
    ...overrides,
  };
}

/** Sends a signed delivery over HTTP to `<baseUrl>/webhooks/<source>`; returns status and JSON. */
export async function sendDelivery(
  baseUrl: string,
  source: string,
  signed: SignedDelivery,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/webhooks/${source}${signed.query}`, {
    method: signed.method,
    headers: signed.headers,
    body: signed.method === 'POST' ? signed.body : undefined,
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { text } };
  }
}
