// The Stripe orders reference pipeline, exported by name for `webpig demo` and for users who
// copy it: the pipeline, its dashboard columns, the order state machine and the example shop.
export { stripeOrdersPipeline, STRIPE_ORDERS_COLUMNS, type StripeOrdersConfig } from './pipeline.js';
export {
  orderStateMachine,
  orderTargetState,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  ORDER_EVENT_TYPES,
  type OrderState,
} from './order-states.js';
export { orderIdOf, readStripeOrderEvent } from './stripe-objects.js';
export { ShopBackend } from './shop-backend.js';
export { shopServicePlugin, type ShopServiceOptions } from './shop-service.js';
export { sampleOrderEvents, seedDemoStock, DEMO_STOCK, type SampleOrderKind, type SampleStripeEvent } from './sample-events.js';
