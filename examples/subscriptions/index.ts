// The MercadoPago subscriptions reference pipeline, exported by name for `webpig demo`: the
// pipeline, its columns, the web endpoints (checkout and return redirect) and the app database.
export { subscriptionsPipeline, SUBSCRIPTIONS_COLUMNS, notificationTarget, type SubscriptionsConfig } from './pipeline.js';
export { subscriptionsWebPlugin, type SubscriptionsWebOptions } from './web-plugin.js';
export { SubscriptionStore, type SubscriptionRecord, type ActivationOutcome } from './subscription-store.js';
export { MercadoPagoClient } from './mercadopago-client.js';
export { subscriptionReference, parseSubscriptionReference } from './activation.js';
