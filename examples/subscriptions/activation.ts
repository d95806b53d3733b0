import type { MercadoPagoClient, Preapproval } from './mercadopago-client.js';
import type { ActivationChannel, ActivationOutcome, ProviderStatus, SubscriptionRecord, SubscriptionStore } from './subscription-store.js';

/**
 * The one way a subscription is activated, shared by the return redirect and the webhook
 * pipeline: ask MercadoPago for the preapproval, find the row by its external reference, and
 * let the store's conditional UPDATE decide who activates. Neither path trusts what the other
 * did, and neither trusts a `status=approved` in a URL anyone can type.
 */

const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const PREFIX = 'pgsub';

/**
 * The external reference of a user's subscription to a plan: deterministic (no timestamp, unlike
 * the seed's `PG-SUB-${Date.now()}-…`), so a second click computes the same reference and lands
 * on the same row, and readable back into (user, plan) so a notification that arrives before
 * the checkout row exists can still create THE row.
 *
 * `generation` counts the user's subscriptions to the plan: a cancelled preapproval is final at
 * MercadoPago, so subscribing again after a cancellation is a new subscription with a new
 * reference (`pgsub:<user>:<plan>:2`, …); the first keeps the plain form, as before.
 */
export function subscriptionReference(userId: string, planId: string, generation = 1): string {
  return generation > 1 ? `${PREFIX}:${userId}:${planId}:${generation}` : `${PREFIX}:${userId}:${planId}`;
}

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export interface SubscriptionOwner {
  userId: string;
  planId: string;
  /** 1 for the user's first subscription to the plan, 2 after one was cancelled, … */
  generation: number;
}

export function parseSubscriptionReference(reference: string): SubscriptionOwner | null {
  const parts = reference.split(':');
  if ((parts.length !== 3 && parts.length !== 4) || parts[0] !== PREFIX) return null;
  const [, userId, planId, generationText] = parts as [string, string, string, string | undefined];
  // The plain form is generation 1; a written generation is 2 or more, without leading zeros,
  // so every subscription has exactly one reference.
  const generation = generationText === undefined ? 1 : /^[1-9][0-9]{0,5}$/.test(generationText) ? Number(generationText) : 0;
  if (generation < 1 || (generationText !== undefined && generation < 2)) return null;
  return isValidId(userId) && isValidId(planId) ? { userId, planId, generation } : null;
}

export class ActivationError extends Error {
  constructor(
    readonly code: 'EXTERNAL_REFERENCE_INVALID' | 'REFERENCE_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'ActivationError';
  }
}

export interface ActivationResult {
  record: SubscriptionRecord;
  outcome: ActivationOutcome;
  preapproval: Preapproval;
}

/**
 * The reference "Continuar al pago" opens: the user's current subscription to the plan while it
 * is not cancelled (a second click lands on the same row), else the next one — a cancelled
 * preapproval is final at MercadoPago, and the customer must be able to subscribe again.
 * Deterministic, so two clicks racing after a cancellation open the same new row.
 */
export function checkoutReference(subscriptions: SubscriptionStore, userId: string, planId: string): string {
  let latest: SubscriptionOwner & { cancelled: boolean } = { userId, planId, generation: 0, cancelled: true };
  for (const row of subscriptions.list({ userId })) {
    const owner = parseSubscriptionReference(row.externalReference);
    if (owner?.planId === planId && owner.generation > latest.generation) latest = { ...owner, cancelled: row.status === 'cancelled' };
  }
  return subscriptionReference(userId, planId, latest.cancelled ? latest.generation + 1 : latest.generation);
}

/**
 * The row a preapproval belongs to. Normally the one its external reference names; but when
 * that row is cancelled and belongs to another preapproval, this live preapproval is the
 * customer subscribing again under the old reference (a checkout that computed it the old way):
 * it goes to the next generation's row instead of being refused forever (report's Error #2).
 */
function ownerOf(subscriptions: SubscriptionStore, preapproval: Preapproval, owner: SubscriptionOwner): string {
  let { generation } = owner;
  for (;;) {
    const reference = subscriptionReference(owner.userId, owner.planId, generation);
    const row = subscriptions.findByReference(owner.userId, reference);
    const subscribingAgain =
      row?.status === 'cancelled' && row.mercadopagoPreapprovalId !== preapproval.id && preapproval.status !== 'cancelled';
    if (!subscribingAgain) return reference;
    generation += 1;
  }
}

/** Applies what MercadoPago says about an already fetched preapproval. */
export function applyPreapproval(
  subscriptions: SubscriptionStore,
  preapproval: Preapproval,
  options: { via: ActivationChannel; paymentId?: string | null; now: Date },
): ActivationResult {
  const owner = parseSubscriptionReference(preapproval.external_reference ?? '');
  if (!owner) {
    throw new ActivationError(
      'EXTERNAL_REFERENCE_INVALID',
      `preapproval ${preapproval.id} has external_reference "${preapproval.external_reference ?? ''}", which is not one of this shop's subscriptions`,
    );
  }
  const reference = ownerOf(subscriptions, preapproval, owner);
  const { record, outcome } = subscriptions.applyProviderStatus({
    userId: owner.userId,
    planId: owner.planId,
    externalReference: reference,
    preapprovalId: preapproval.id,
    paymentId: options.paymentId ?? null,
    status: preapproval.status satisfies ProviderStatus,
    details: {
      productName: preapproval.reason ?? null,
      basePrice:
        typeof preapproval.auto_recurring?.transaction_amount === 'number' ? String(preapproval.auto_recurring.transaction_amount) : null,
      nextBillingDate: preapproval.next_payment_date ?? null,
      payerEmail: preapproval.payer_email ?? null,
    },
    via: options.via,
    now: options.now,
  });
  return { record, outcome, preapproval };
}

/** Fetches the preapproval and applies it; `expectedReference` guards a redirect's claim. */
export async function activateFromPreapproval(
  deps: { subscriptions: SubscriptionStore; mercadopago: MercadoPagoClient },
  input: { preapprovalId: string; expectedReference?: string; via: ActivationChannel; now: Date; signal?: AbortSignal },
): Promise<ActivationResult> {
  const preapproval = await deps.mercadopago.getPreapproval(input.preapprovalId, input.signal);
  if (input.expectedReference !== undefined && preapproval.external_reference !== input.expectedReference) {
    throw new ActivationError(
      'REFERENCE_MISMATCH',
      `preapproval ${preapproval.id} belongs to external_reference "${preapproval.external_reference ?? ''}", ` +
        `not "${input.expectedReference}"`,
    );
  }
  return applyPreapproval(deps.subscriptions, preapproval, { via: input.via, now: input.now });
}
