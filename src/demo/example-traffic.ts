import { sampleOrderEvents, type SampleOrderKind } from '../../examples/stripe-orders/index.js';
import { signMercadopago, signStripe, type SignedDelivery } from '../sources/signing.js';

/**
 * The demo's traffic for the reference pipelines of the examples: Stripe order stories
 * (shuffled, now and then a duplicate: disorder is harmless) and, every few ticks, a
 * MercadoPago subscription story (checkout, a preapproval at the sandbox's MercadoPago, a
 * signed notification, sometimes the return redirect too, sometimes the notification twice), and
 * between them a one-off MercadoPago payment to `/webhooks/mercadopago-payments`.
 *
 *   const stop = startExampleTraffic({ baseUrl, stripeSecret, mercadopagoSecret });
 *   ...
 *   await stop();
 *
 * Errors are swallowed (reported to `onError`): the server may be stopping.
 */

export const ORDER_KINDS: readonly SampleOrderKind[] = ['card', 'oxxo', 'refunded', 'oversold'];
const PLANS = ['plan-mensual', 'plan-trimestral', 'plan-anual'] as const;
/** What MercadoPago's preapproval says of each plan: its name (`reason`) and recurring charge in COP. */
const PLAN_TERMS: Record<(typeof PLANS)[number], { reason: string; amount: number; months: number }> = {
  'plan-mensual': { reason: 'Plan mensual PetGourmet', amount: 89_900, months: 1 },
  'plan-trimestral': { reason: 'Plan trimestral PetGourmet', amount: 249_900, months: 3 },
  'plan-anual': { reason: 'Plan anual PetGourmet', amount: 899_900, months: 12 },
};

export interface ExampleTrafficOptions {
  /** Where webpig serves `/webhooks/<source>`, the shop and the sandbox, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The Stripe source's endpoint secret (null: no order stories). */
  stripeSecret: string | null;
  /** The MercadoPago source's secret signature (null: no subscription stories). */
  mercadopagoSecret: string | null;
  /** Pause between two ticks; each tick plays one order story. (Default: 4000 ms) */
  intervalMs?: number;
  /** A subscription story every this many ticks. (Default: 3) */
  subscriptionEvery?: number;
  /** Random numbers in [0, 1). (Default: Math.random) */
  rng?: () => number;
  onError?: (err: unknown) => void;
}

/** Stops the traffic and resolves once no request of it is in flight. */
export type StopExampleTraffic = () => Promise<void>;

class TrafficRequestError extends Error {
  readonly code = 'DEMO_TRAFFIC_REQUEST_FAILED';
}

export function startExampleTraffic(options: ExampleTrafficOptions): StopExampleTraffic {
  const rng = options.rng ?? Math.random;
  const base = options.baseUrl.replace(/\/$/, '');
  const intervalMs = options.intervalMs ?? 4000;
  const subscriptionEvery = Math.max(1, options.subscriptionEvery ?? 3);
  const stopper = new AbortController();
  // Unique across restarts on one database: a story's event ids must not collide with an old one's.
  const runId = Date.now().toString(36);
  let seq = 0;
  let notificationSeq = Date.now();
  const chance = (p: number): boolean => rng() < p;

  const request = async (
    path: string,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  ): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, { ...init, signal: stopper.signal });
    const body: unknown = await res.json().catch(() => null);
    if (res.status >= 400) throw new TrafficRequestError(`${init.method} ${path} answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const postJson = (path: string, body: unknown): Promise<unknown> =>
    request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const deliver = (source: string, signed: SignedDelivery): Promise<unknown> =>
    request(`/webhooks/${source}${signed.query}`, {
      method: signed.method,
      headers: signed.headers,
      ...(signed.method === 'POST' ? { body: signed.body } : {}),
    });

  const orderStory = async (secret: string): Promise<void> => {
    const kind = ORDER_KINDS[Math.floor(rng() * ORDER_KINDS.length)] ?? 'card';
    const events = sampleOrderEvents({ name: `${runId}_${++seq}`, kind, start: new Date() });
    const shuffled = shuffle(events, rng);
    // Now and then Stripe delivers one event twice: stored once, the second reply says duplicate.
    const again = shuffled[Math.floor(rng() * shuffled.length)];
    if (again && chance(0.3)) shuffled.splice(Math.floor(rng() * (shuffled.length + 1)), 0, again);
    // Stripe records each event in the account before sending its webhook; now and then one is
    // lost on the way (a sandbox fault), and only the reconcile job finds it (docs/reconcile.md).
    if (chance(0.1)) await postJson('/sandbox/_faults', { service: 'stripe', operation: 'deliver_webhook', mode: 'error' });
    for (const event of shuffled) {
      const registered = (await postJson('/sandbox/stripe/events?deliver=true', event)) as { sandbox?: { deliver?: unknown } } | null;
      if (registered?.sandbox?.deliver === true) await deliver('stripe', signStripe({ payload: event, secret }));
    }
  };

  const subscriptionStory = async (secret: string): Promise<void> => {
    const n = ++seq;
    const userId = `demo-user-${runId}-${n}`;
    const planId = PLANS[Math.floor(rng() * PLANS.length)] ?? PLANS[0];
    const checkout = { userId, planId };
    const created = (await postJson('/shop/subscriptions/checkout', checkout)) as { subscription?: { externalReference?: unknown } } | null;
    // A double click on the checkout button: the same record comes back.
    if (chance(0.3)) await postJson('/shop/subscriptions/checkout', checkout);
    const reference = created?.subscription?.externalReference;
    if (typeof reference !== 'string') throw new TrafficRequestError('the checkout answered no external reference');
    const preapprovalId = `pre-demo-${runId}-${n}`;
    const terms = PLAN_TERMS[planId];
    const nextCharge = new Date();
    nextCharge.setUTCMonth(nextCharge.getUTCMonth() + terms.months);
    await postJson('/sandbox/mercadopago/preapprovals', {
      id: preapprovalId,
      status: 'authorized',
      external_reference: reference,
      payer_email: `${userId}@cliente.example`,
      reason: terms.reason,
      auto_recurring: { frequency: terms.months, frequency_type: 'months', transaction_amount: terms.amount, currency_id: 'COP' },
      next_payment_date: nextCharge.toISOString(),
    });
    const notification = (): Promise<unknown> =>
      deliver(
        'mercadopago',
        signMercadopago({
          secret,
          dataId: preapprovalId,
          body: {
            id: ++notificationSeq,
            live_mode: false,
            type: 'subscription_preapproval',
            action: 'updated',
            date_created: new Date().toISOString(),
            data: { id: preapprovalId },
          },
        }),
      );
    const redirect = (): Promise<unknown> =>
      request(
        `/shop/subscriptions/return?${new URLSearchParams({ status: 'approved', preapproval_id: preapprovalId, external_reference: reference }).toString()}`,
        { method: 'GET' },
      );
    const steps = [notification];
    if (chance(0.5)) steps.push(redirect);
    if (chance(0.3)) steps.push(notification);
    // Redirect and webhooks race, as they do in production: exactly one of them activates.
    await Promise.all(shuffle(steps, rng).map((step) => step()));
  };

  /** A one-off MercadoPago payment (examples/mercadopago-payments): sometimes pending first, sometimes notified twice. */
  const paymentStory = async (secret: string): Promise<void> => {
    const id = Math.floor(Date.now() / 1000) * 100 + (++seq % 100);
    const payment = (status: string) =>
      postJson('/sandbox/mercadopago/payments', {
        id,
        status,
        transaction_amount: 90000 + 10000 * Math.floor(rng() * 10),
        currency_id: 'COP',
        external_reference: `ORDER-${runId}-${seq}`,
        description: 'Curso de cocina',
        payer: { email: `cliente-${runId}-${seq}@cliente.example` },
      });
    const notify = (): Promise<unknown> =>
      deliver(
        'mercadopago-payments',
        signMercadopago({
          secret,
          dataId: String(id),
          body: {
            id: ++notificationSeq,
            live_mode: false,
            type: 'payment',
            action: 'payment.updated',
            date_created: new Date().toISOString(),
            data: { id: String(id) },
          },
        }),
      );
    if (chance(0.3)) {
      await payment('pending');
      await notify();
    }
    await payment('approved');
    await notify();
    if (chance(0.3)) await notify();
  };

  const loop = (async () => {
    for (let tick = 0; !stopper.signal.aborted; tick++) {
      const stories: Promise<void>[] = [];
      if (options.stripeSecret !== null) stories.push(orderStory(options.stripeSecret));
      if (options.mercadopagoSecret !== null && tick % subscriptionEvery === 0) stories.push(subscriptionStory(options.mercadopagoSecret));
      if (options.mercadopagoSecret !== null && tick % subscriptionEvery === 1) stories.push(paymentStory(options.mercadopagoSecret));
      for (const result of await Promise.allSettled(stories)) {
        if (result.status === 'rejected' && !stopper.signal.aborted) options.onError?.(result.reason);
      }
      await sleep(intervalMs, stopper.signal);
    }
  })();

  return async () => {
    stopper.abort();
    await loop;
  };
}

/** A shuffled copy (Fisher–Yates). */
function shuffle<T>(items: readonly T[], rng: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
