import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceFact } from '../../src/dashboard/app/reference-labels.js';
import { normalizeStripeEvent } from '../../src/sources/stripe.js';
import type { JsonObject } from '../../src/core/types.js';
import { stripeEvent } from '../helpers/signing.js';

/**
 * The references Stripe's own normalization writes are named in words in both languages: a
 * finance person read "paymentIntent" in the Spanish panel. The merchant's metadata keys
 * (`order_items`) are the company's own words and stay as written.
 */
test("every reference Stripe's summary writes has a name in Spanish and English; metadata keys stay as written", () => {
  const session = {
    id: 'cs_1',
    object: 'checkout.session',
    payment_intent: 'pi_1',
    client_reference_id: 'pedido-77',
    invoice: 'in_1',
    amount_total: 45000,
    currency: 'mxn',
    metadata: { order_items: '[{"sku":"CAMISETA-M","quantity":1}]' },
  };
  const event = stripeEvent({ type: 'checkout.session.completed', object: session }) as JsonObject;
  const references = normalizeStripeEvent(event, new Date(), { testMode: false }).summary.references ?? {};
  const own = Object.keys(references).filter((key) => key !== 'order_items');
  assert.deepEqual(own.sort(), ['clientReferenceId', 'invoice', 'paymentIntent', 'stripeObject']);
  for (const language of ['es', 'en'] as const) {
    for (const key of own) {
      assert.notEqual(referenceFact(language, key, references[key] ?? '').label, key, `${language}: ${key} is named in words`);
    }
    assert.equal(referenceFact(language, 'order_items', '').label, 'order_items');
  }
  assert.equal(referenceFact('es', 'paymentIntent', 'pi_1').label, 'Pago en Stripe (PaymentIntent)');
  assert.equal(referenceFact('en', 'clientReferenceId', 'pedido-77').label, "The shop's reference in Stripe");
});
