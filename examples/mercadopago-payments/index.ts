export { mercadopagoPaymentsPipeline, MERCADOPAGO_PAYMENTS_COLUMNS, type MercadopagoPaymentsConfig } from './pipeline.js';
export { PaymentStore, type ShopPayment, type ShopPaymentStatus, type PaymentOutcome } from './payment-store.js';
export type { GoHighLevelConfig } from './gohighlevel-client.js';
