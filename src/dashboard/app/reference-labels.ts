import type { Language } from './i18n.js';

/**
 * The names of a summary's references in the page's language. The keys are those webpig's own
 * sources write (src/sources: ePayco's confirmation fields, MercadoPago's and Stripe's ids) and
 * the example pipelines' (examples/); any other key is a pipeline's own word and stays as it is.
 */
const NAMES: Readonly<Record<string, Readonly<Record<Language, string>>>> = {
  refPayco: { es: 'Referencia ePayco', en: 'ePayco reference' },
  transactionId: { es: 'ID de la transacción', en: 'Transaction ID' },
  invoice: { es: 'Factura', en: 'Invoice' },
  invoiceId: { es: 'Factura (según el flujo)', en: 'Invoice (per the pipeline)' },
  worldofficeInvoice: { es: 'Factura en WorldOffice', en: 'WorldOffice invoice' },
  approvalCode: { es: 'Código de aprobación', en: 'Approval code' },
  franchise: { es: 'Franquicia', en: 'Card brand' },
  validated: { es: 'Confirmado con ePayco', en: 'Confirmed with ePayco' },
  testTransaction: { es: 'Transacción de prueba', en: 'Test transaction' },
  testEvent: { es: 'Evento de prueba de Stripe', en: 'Stripe test event' },
  testEventType: { es: 'Tipo en Stripe', en: 'Stripe type' },
  mercadopagoId: { es: 'ID en MercadoPago', en: 'MercadoPago ID' },
  requestId: { es: 'ID de la notificación', en: 'Notification ID' },
  verification: { es: 'Verificación', en: 'Verification' },
  stripeObject: { es: 'Objeto en Stripe', en: 'Stripe object' },
  paymentIntent: { es: 'Pago en Stripe (PaymentIntent)', en: 'Stripe payment (PaymentIntent)' },
  clientReferenceId: { es: 'Referencia de la tienda en Stripe', en: "The shop's reference in Stripe" },
  stripeEvent: { es: 'Evento en Stripe', en: 'Stripe event' },
  senderStatus: { es: 'Estado según el remitente', en: "Sender's status" },
  order: { es: 'Pedido', en: 'Order' },
  orderReference: { es: 'Referencia del pedido', en: 'Order reference' },
  mercadopagoStatus: { es: 'Estado en MercadoPago', en: 'MercadoPago status' },
  preapproval: { es: 'Suscripción en MercadoPago', en: 'MercadoPago subscription' },
  externalReference: { es: 'Referencia externa', en: 'External reference' },
  subscription: { es: 'Suscripción en la tienda', en: 'Subscription in the shop' },
  activation: { es: 'Activación', en: 'Activation' },
};

/** Values that are webpig's own words rather than the provider's data. */
const VALUES: Readonly<Record<string, Readonly<Record<string, Readonly<Record<Language, string>>>>>> = {
  validated: { true: { es: 'Sí', en: 'Yes' }, false: { es: 'No', en: 'No' } },
  testTransaction: {
    true: { es: 'Sí: no es un pago (la cuenta no está en modo de prueba)', en: 'Yes: not a payment (the account is not in test mode)' },
  },
  testEvent: {
    true: {
      es: 'Sí (livemode: false): no es un pago (la fuente no está en modo de prueba)',
      en: 'Yes (livemode: false): not a payment (the source is not in test mode)',
    },
  },
  verification: {
    'pending-fetch': { es: 'pendiente: el flujo lo consulta en MercadoPago', en: 'pending: the pipeline reads it from MercadoPago' },
  },
  // The subscriptions example's outcomes (examples/subscriptions: ActivationOutcome).
  activation: {
    activated: { es: 'este aviso la activó', en: 'this notification activated it' },
    already_active: { es: 'ya estaba activa: nada cambió', en: 'already active: nothing changed' },
    resumed: { es: 'este aviso la reanudó', en: 'this notification resumed it' },
    paused: { es: 'pausada', en: 'paused' },
    cancelled: { es: 'cancelada', en: 'cancelled' },
    already_cancelled: { es: 'ya estaba cancelada: nada cambió', en: 'already cancelled: nothing changed' },
    still_pending: { es: 'sigue pendiente en MercadoPago', en: 'still pending at MercadoPago' },
  },
};

/** A reference's name and value as the page shows them (ePayco's `extra3` is "Campo extra 3"). */
export function referenceFact(language: Language, key: string, value: string): { label: string; value: string } {
  const extra = /^extra(\d{1,2})$/.exec(key);
  const label = NAMES[key]?.[language] ?? (extra ? `${language === 'es' ? 'Campo extra' : 'Extra field'} ${extra[1]}` : key);
  return { label, value: VALUES[key]?.[value]?.[language] ?? value };
}
