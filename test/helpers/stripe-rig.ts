import { randomUUID } from 'node:crypto';
import { startIngestServer, type IngestServer } from './ingest-server.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from './sandbox-app.js';
import { sendDelivery, signStripe, stripeEvent, TEST_SECRETS } from './signing.js';
import { stripeEventList } from '../../src/sources/listing/stripe-events.js';
import type { ProviderList } from '../../src/sources/listing/provider-list.js';
import type { Store } from '../../src/store/store.js';

/**
 * A webpig ingestion server (its `stripe` source) and the sandbox's Stripe, both over HTTP: a
 * payment is an event in the sandbox's account list, whose webhook is delivered, or not ("lost").
 */
export interface StripeRig {
  server: IngestServer;
  sandbox: SandboxApp;
  /** `<sandbox>/sandbox/stripe`, where the package's `/v1/events` is served. */
  stripeApiUrl: string;
  list(options?: { pageSize?: number; types?: string[] }): ProviderList;
  /** A payment in the Stripe account whose webhook never arrives. */
  lostPayment(options?: { type?: string; amount?: number; created?: number }): Promise<Record<string, unknown>>;
  /** A payment whose webhook arrives (the event is also in the account's list). */
  deliveredPayment(): Promise<Record<string, unknown>>;
  /** Delivers an event's webhook now (late, or concurrently). */
  deliver(event: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  fault(spec: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startStripeRig(store: Store, options: { maxHangMs?: number } = {}): Promise<StripeRig> {
  const server = await startIngestServer({ store, closeStore: false });
  const sandbox = await startSandboxApp({ listen: true, ...options });
  const sandboxUrl = `${baseUrlOf(sandbox.app)}/sandbox`;
  const stripeApiUrl = `${sandboxUrl}/stripe`;
  const addToAccount = async (event: Record<string, unknown>, delivered: boolean) => {
    const reply = await fetch(`${stripeApiUrl}/events${delivered ? '?deliver=true' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    if (reply.status !== 201) throw new Error(`sandbox refused the event: ${reply.status} ${await reply.text()}`);
  };
  const payment = (options: { type?: string; amount?: number; created?: number } = {}) => {
    const intent = `pi_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    return stripeEvent({
      type: options.type ?? 'payment_intent.succeeded',
      ...(options.created !== undefined ? { created: options.created } : {}),
      object: {
        id: intent,
        object: 'payment_intent',
        amount: options.amount ?? 150000,
        amount_received: options.amount ?? 150000,
        currency: 'cop',
        description: 'Membresía Elite',
        receipt_email: 'juan@example.com',
        metadata: { invoice: `INV-${intent}` },
      },
    });
  };
  const deliver = (event: Record<string, unknown>) =>
    sendDelivery(server.baseUrl, 'stripe', signStripe({ payload: event, secret: TEST_SECRETS.stripe }));
  return {
    server,
    sandbox,
    stripeApiUrl,
    list: (options = {}) => stripeEventList({ apiBaseUrl: stripeApiUrl, apiKey: 'sk_test_rig', ...options }),
    async lostPayment(options) {
      const event = payment(options);
      await addToAccount(event, false);
      return event;
    },
    async deliveredPayment() {
      const event = payment();
      await addToAccount(event, true);
      const reply = await deliver(event);
      if (reply.status !== 200) throw new Error(`webhook refused: ${reply.status} ${JSON.stringify(reply.body)}`);
      return event;
    },
    deliver,
    async fault(spec) {
      const reply = await fetch(`${sandboxUrl}/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      if (reply.status !== 201 && reply.status !== 200) throw new Error(`fault refused: ${reply.status} ${await reply.text()}`);
    },
    async close() {
      await server.close();
      await sandbox.close();
    },
  };
}
