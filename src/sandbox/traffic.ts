import type { FaultSpec } from './sandbox-store.js';
import { UNKNOWN_INVOICE_PREFIX } from './fake-data.js';
import { makeSandboxPayment, signedConfirmation, type EpaycoCredentials, type EpaycoStateCode } from './epayco-confirmations.js';

/**
 * The demo's stream of sample webhooks: signed ePayco confirmations POSTed to
 * `<baseUrl>/webhooks/<source>`, in a mix of the situations webpig exists for.
 *
 *   const stop = startTraffic({ baseUrl, epayco: { customerId, pKey }, intervalMs: 2000 });
 *   ...
 *   await stop();
 */

export type TrafficScenario =
  /** One accepted payment. */
  | 'accepted'
  /** One rejected payment: the pipeline runs no stage ("not applicable"). */
  | 'rejected'
  /** An accepted payment delivered twice: stored once, the second reply says duplicate. */
  | 'duplicate'
  /**
   * Pending then accepted for one payment, delivered reversed. ePayco (the sandbox) already
   * reports the payment accepted when the late pending arrives, so webpig stores it as what
   * ePayco says — the accepted event again: a duplicate.
   */
  | 'out-of-order'
  /** A sandbox fault is set first, so a stage fails and the event is retried. */
  | 'fault'
  /** An invoice FR360 does not know: a permanent 404, the event ends dead. */
  | 'dead'
  /**
   * An accepted payment that ePayco reverses a moment later (state 6): ePayco is moved to the
   * reversed state, then its confirmation is sent; the Facturador makes a credit note.
   */
  | 'reversed';

/** How often each scenario is picked, relative to the others. */
export const DEFAULT_SCENARIO_WEIGHTS: Readonly<Record<TrafficScenario, number>> = {
  accepted: 45,
  rejected: 15,
  duplicate: 10,
  'out-of-order': 10,
  fault: 15,
  dead: 5,
  reversed: 5,
};

/** Faults the `fault` scenario picks from: each one heals on the engine's retries. */
export const TRAFFIC_FAULTS: readonly Omit<FaultSpec, 'count'>[] = [
  { service: 'clientify', operation: 'upsert_contact', mode: 'error', status: 503 },
  { service: 'worldoffice', operation: 'create_invoice', mode: 'effect-then-fail' },
  { service: 'strapi', operation: 'apply_payment', mode: 'effect-then-fail' },
  { service: 'callbell', operation: 'send_message', mode: 'error', status: 500 },
  { service: 'frapp', operation: 'create_membership', mode: 'effect-then-fail' },
];

export interface TrafficDelivery {
  scenario: TrafficScenario;
  invoiceId: string;
  refPayco: string;
  state: EpaycoStateCode;
  /** HTTP status of webpig's reply (0 when the request failed before a reply). */
  httpStatus: number;
  /** webpig's event id, from the reply. */
  eventId?: number;
  duplicate?: boolean;
  /** The fault set before this delivery (`fault` scenario). */
  fault?: Omit<FaultSpec, 'count'>;
}

export interface TrafficOptions {
  /** Where webpig serves `/webhooks/<source>` and the sandbox (`/sandbox`), e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The ePayco source's P_CUST_ID_CLIENTE and P_KEY, to sign with. */
  epayco: EpaycoCredentials;
  /** (Default: 'epayco') */
  source?: string;
  /** Pause between two scenarios. (Default: 2000 ms) */
  intervalMs?: number;
  /** Random numbers in [0, 1), for reproducible traffic. (Default: Math.random) */
  rng?: () => number;
  /** How long after its payment a `reversed` scenario reverses it. (Default: 3000 ms) */
  reversalDelayMs?: number;
  /** Scenario weights. (Default: DEFAULT_SCENARIO_WEIGHTS) */
  weights?: Partial<Record<TrafficScenario, number>>;
  /**
   * Make each payment, in its final state, in the sandbox's ePayco first, so an ePayco source
   * validating against `<baseUrl>/sandbox/epayco` (the demo's) knows it. Off only to show what
   * happens to confirmations ePayco does not know. (Default: true)
   */
  registerWithSandbox?: boolean;
  /** Stops the traffic, like the returned function. */
  signal?: AbortSignal;
  /** Called after every delivery. */
  onDelivery?: (delivery: TrafficDelivery) => void;
  /** Called when a request fails (server not up yet...); the traffic goes on. */
  onError?: (err: unknown) => void;
}

/** Stops the traffic and resolves once no request of it is in flight. */
export type StopTraffic = () => Promise<void>;

export function startTraffic(options: TrafficOptions): StopTraffic {
  const rng = options.rng ?? Math.random;
  const intervalMs = options.intervalMs ?? 2000;
  const weights = { ...DEFAULT_SCENARIO_WEIGHTS, ...options.weights };
  const base = options.baseUrl.replace(/\/$/, '');
  const webhookUrl = `${base}/webhooks/${options.source ?? 'epayco'}`;
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();

  const deliver = async (
    scenario: TrafficScenario,
    payment: { invoiceId: string; refPayco: string; state: EpaycoStateCode; at: Date },
    fault?: Omit<FaultSpec, 'count'>,
  ): Promise<void> => {
    const signed = signedConfirmation(payment, options.epayco);
    const report: TrafficDelivery = {
      scenario,
      invoiceId: payment.invoiceId,
      refPayco: payment.refPayco,
      state: payment.state,
      httpStatus: 0,
    };
    if (fault) report.fault = fault;
    try {
      const res = await fetch(`${webhookUrl}${signed.query}`, {
        method: signed.method,
        headers: signed.headers,
        ...(signed.method === 'POST' ? { body: signed.body } : {}),
        signal: stopper.signal,
      });
      report.httpStatus = res.status;
      const body = (await res.json().catch(() => null)) as { id?: unknown; status?: unknown } | null;
      if (typeof body?.id === 'number') report.eventId = body.id;
      if (body?.status === 'duplicate') report.duplicate = true;
    } catch (err) {
      if (stopper.signal.aborted) return;
      options.onError?.(err);
    }
    options.onDelivery?.(report);
  };

  const setFault = async (fault: Omit<FaultSpec, 'count'>): Promise<void> => {
    const res = await fetch(`${base}/sandbox/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...fault, count: 1 }),
      signal: stopper.signal,
    });
    if (!res.ok) throw new Error(`setting a sandbox fault failed: ${res.status} ${await res.text()}`);
  };

  /** What ePayco's validation endpoint will answer for this payment: its final state. */
  const register = (payment: { invoiceId: string; refPayco: string; state: EpaycoStateCode; at: Date }): Promise<void> =>
    makeSandboxPayment(`${base}/sandbox`, payment, options.epayco, stopper.signal);

  const runScenario = async (scenario: TrafficScenario): Promise<void> => {
    const refPayco = String(10_000_000 + Math.floor(rng() * 89_999_999));
    const invoiceId = scenario === 'dead' ? `${UNKNOWN_INVOICE_PREFIX}${refPayco}` : `INV-${refPayco}`;
    const at = new Date();
    if (options.registerWithSandbox ?? true) {
      try {
        await register({ invoiceId, refPayco, state: scenario === 'rejected' ? '2' : '1', at });
      } catch (err) {
        if (stopper.signal.aborted) return;
        options.onError?.(err);
      }
    }
    switch (scenario) {
      case 'accepted':
      case 'dead':
        return deliver(scenario, { invoiceId, refPayco, state: '1', at });
      case 'rejected':
        return deliver(scenario, { invoiceId, refPayco, state: '2', at });
      case 'duplicate':
        await deliver(scenario, { invoiceId, refPayco, state: '1', at });
        return deliver(scenario, { invoiceId, refPayco, state: '1', at });
      case 'reversed': {
        await deliver(scenario, { invoiceId, refPayco, state: '1', at });
        const delayMs = options.reversalDelayMs ?? 3000;
        await sleep(delayMs, stopper.signal);
        if (stopper.signal.aborted) return;
        const reversal = { invoiceId, refPayco, state: '6' as const, at: new Date(at.getTime() + delayMs) };
        try {
          // ePayco reports the payment reversed before it confirms the reversal.
          if (options.registerWithSandbox ?? true) await register(reversal);
        } catch (err) {
          if (stopper.signal.aborted) return;
          options.onError?.(err);
        }
        return deliver(scenario, reversal);
      }
      case 'out-of-order':
        // The payment was pending a minute before it was accepted; the provider's deliveries
        // arrive the other way round.
        await deliver(scenario, { invoiceId, refPayco, state: '1', at });
        return deliver(scenario, { invoiceId, refPayco, state: '3', at: new Date(at.getTime() - 60_000) });
      case 'fault': {
        const fault = TRAFFIC_FAULTS[Math.floor(rng() * TRAFFIC_FAULTS.length)] ?? TRAFFIC_FAULTS[0];
        if (!fault) return;
        try {
          await setFault(fault);
        } catch (err) {
          if (stopper.signal.aborted) return;
          options.onError?.(err);
        }
        return deliver(scenario, { invoiceId, refPayco, state: '1', at }, fault);
      }
    }
  };

  const loop = (async () => {
    while (!stopper.signal.aborted) {
      await runScenario(pickScenario(weights, rng));
      await sleep(intervalMs, stopper.signal);
    }
  })();

  return async () => {
    stop();
    options.signal?.removeEventListener('abort', stop);
    await loop;
  };
}

/** A scenario drawn by weight. */
export function pickScenario(weights: Readonly<Record<TrafficScenario, number>>, rng: () => number): TrafficScenario {
  const entries = (Object.entries(weights) as Array<[TrafficScenario, number]>).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = rng() * total;
  for (const [scenario, weight] of entries) {
    roll -= weight;
    if (roll < 0) return scenario;
  }
  return entries[entries.length - 1]?.[0] ?? 'accepted';
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
