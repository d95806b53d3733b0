import type { MercadoPagoClient, Preapproval } from './mercadopago-client.js';
import type {
  ActivationChannel,
  ActivationOutcome,
  ProviderStatus,
  SubscriptionRecord,
  SubscriptionStore,
} from './subscription-store.js';

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
 */
export function subscriptionReference(userId: string, planId: string): string {
  return `${PREFIX}:${userId}:${planId}`;
}

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export function parseSubscriptionReference(reference: string): { userId: string; planId: string } | null {
  const parts = reference.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const [, userId, planId] = parts as [string, string, string];
  return isValidId(userId) && isValidId(planId) ? { userId, planId } : null;
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

/** Applies what MercadoPago says about an already fetched preapproval. */
export function applyPreapproval(
  subscriptions: SubscriptionStore,
  preapproval: Preapproval,
  options: { via: ActivationChannel; paymentId?: string | null; now: Date },
): ActivationResult {
  const reference = preapproval.external_reference ?? '';
  const owner = parseSubscriptionReference(reference);
  if (!owner) {
    throw new ActivationError(
      'EXTERNAL_REFERENCE_INVALID',
      `preapproval ${preapproval.id} has external_reference "${reference}", which is not one of this shop's subscriptions`,
    );
  }
  const { record, outcome } = subscriptions.applyProviderStatus({
    ...owner,
    externalReference: reference,
    preapprovalId: preapproval.id,
    paymentId: options.paymentId ?? null,
    status: preapproval.status satisfies ProviderStatus,
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
