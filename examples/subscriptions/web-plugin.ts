import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorBody, HttpError } from '../../src/index.js';
import { ActivationError, activateFromPreapproval, checkoutReference, isValidId } from './activation.js';
import { registerCheckoutPage } from './checkout-page.js';
import { MercadoPagoApiError, type MercadoPagoClient } from './mercadopago-client.js';
import { SubscriptionStoreError, type SubscriptionStore } from './subscription-store.js';

/**
 * The shop's own web endpoints for subscriptions (what the demo page calls):
 *
 *   POST /shop/subscriptions/checkout {userId, planId}   "Continuar al pago": creates or returns
 *        the one row for (user, reference) — 201 when created, 200 when it already existed; after
 *        a cancellation, a new row with the next reference (subscribing again).
 *   GET  /shop/subscriptions/return?status=approved&preapproval_id=…&external_reference=…
 *        MercadoPago's return redirect: verifies the preapproval with the API and activates
 *        once; `already_active` when the webhook got there first. Missing parameters are a
 *        400 that names them — never the seed's silent `return`.
 *   GET  /shop/subscriptions?userId=…                     the rows, for the page and the tests.
 *   GET  /shop/subscriptions/page                         the page with the button (checkout-page.ts).
 *
 * The example has no sign-in: a real shop takes the user from its session and checks, on the
 * return, that the signed-in user owns the external reference before showing the result.
 */
export interface SubscriptionsWebOptions {
  subscriptions: SubscriptionStore;
  mercadopago: MercadoPagoClient;
  /** (Default: () => new Date()) */
  now?: () => Date;
}

const idSchema = z.string().refine(isValidId, 'must be 1–64 letters, digits, _ . or -');
const cartItemSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  price: z.number().nonnegative(),
  quantity: z.number().int().positive(),
});
/** The shop knows what is being bought: kept on the row (the report's complete rows). */
const checkoutSchema = z.object({
  userId: idSchema,
  planId: idSchema,
  productName: z.string().min(1).max(200).optional(),
  basePrice: z.number().positive().optional(),
  cartItems: z.array(cartItemSchema).max(50).optional(),
  payerEmail: z.email().optional(),
});
const RETURN_PARAMS = ['status', 'preapproval_id', 'external_reference'] as const;

function toHttpError(err: unknown): unknown {
  if (err instanceof ActivationError) {
    return new HttpError(err.code === 'REFERENCE_MISMATCH' ? 409 : 400, err.code, err.message);
  }
  if (err instanceof SubscriptionStoreError) return new HttpError(409, err.code, err.message);
  if (err instanceof MercadoPagoApiError) {
    if (err.code === 'MERCADOPAGO_NOT_FOUND') {
      return new HttpError(404, 'PREAPPROVAL_NOT_FOUND', `${err.message}; nothing was activated`);
    }
    return new HttpError(
      502,
      'MERCADOPAGO_UNAVAILABLE',
      `could not confirm the subscription with MercadoPago (${err.message}); nothing was activated — ` +
        'the webhook will activate it when MercadoPago notifies',
    );
  }
  return err;
}

export const subscriptionsWebPlugin: FastifyPluginAsync<SubscriptionsWebOptions> = async (app: FastifyInstance, options) => {
  const { subscriptions, mercadopago } = options;
  const now = options.now ?? (() => new Date());

  // Encapsulated: this plugin's errors in webpig's `{error:{code,message}}` shape.
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err instanceof HttpError) return reply.status(err.statusCode).send(errorBody(err.code, err.message));
    if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      return reply.status(err.statusCode).send(errorBody('BAD_REQUEST', err.message));
    }
    request.log.error({ err }, 'subscriptions endpoint failed');
    return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  });

  app.post('/shop/subscriptions/checkout', async (request, reply) => {
    const parsed = checkoutSchema.safeParse(request.body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      throw new HttpError(400, 'INVALID_REQUEST', detail);
    }
    const { userId, planId, productName, basePrice, cartItems, payerEmail } = parsed.data;
    const { record, created } = subscriptions.ensure({
      userId,
      planId,
      externalReference: checkoutReference(subscriptions, userId, planId),
      createdBy: 'checkout',
      now: now(),
      details: { productName, basePrice: basePrice === undefined ? undefined : String(basePrice), cartItems, payerEmail },
    });
    return reply.status(created ? 201 : 200).send({ subscription: record, created });
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/shop/subscriptions/return', async (request, reply) => {
    const query = request.query;
    const missing = RETURN_PARAMS.filter((name) => typeof query[name] !== 'string' || query[name] === '');
    if (missing.length > 0) {
      throw new HttpError(
        400,
        'RETURN_PARAMS_MISSING',
        `the return from MercadoPago lacks ${missing.join(', ')}; nothing was activated ` +
          '(expected ?status=approved&preapproval_id=…&external_reference=…)',
      );
    }
    const status = query.status as string;
    const preapprovalId = query.preapproval_id as string;
    const externalReference = query.external_reference as string;
    if (status !== 'approved') {
      return reply.status(200).send({ outcome: 'not_approved', status, subscription: null });
    }
    try {
      const result = await activateFromPreapproval(
        { subscriptions, mercadopago },
        { preapprovalId, expectedReference: externalReference, via: 'redirect', now: now() },
      );
      request.log.info({ subscriptionId: result.record.id, outcome: result.outcome }, 'subscription return');
      // 202: MercadoPago has not authorised it yet; the webhook will activate it.
      const code = result.outcome === 'still_pending' ? 202 : 200;
      return reply.status(code).send({ outcome: result.outcome, subscription: result.record });
    } catch (err) {
      throw toHttpError(err);
    }
  });

  registerCheckoutPage(app);

  app.get<{ Querystring: { userId?: string } }>('/shop/subscriptions', async (request) => {
    const userId = request.query.userId;
    return { items: subscriptions.list(userId ? { userId } : {}) };
  });
};
