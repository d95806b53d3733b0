import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rememberSourceKinds, sourceDisplayName } from '../../src/dashboard/app/source-names.js';

test("a built-in provider's source reads as the provider's name; any other keeps its configured name", () => {
  assert.deepEqual(
    ['epayco', 'mercadopago', 'stripe'].map((name) => sourceDisplayName(name)),
    ['ePayco', 'MercadoPago', 'Stripe'],
  );
  // Not told the kinds: a custom source, or a provider under another name, as written in the config.
  for (const name of ['mercadopago_suscripciones_colegio_bogota_norte', 'stripe_eu', 'shop', 'constructor', 'toString'])
    assert.equal(sourceDisplayName(name), name);
});

test('told the kinds, a provider under another name reads as the provider with its name; a custom one as written', () => {
  const kinds = { stripe: 'stripe', stripe_eu: 'stripe', pagos_co: 'epayco', stripe_custom: 'custom', mercadopago: 'custom' };
  assert.equal(sourceDisplayName('stripe_eu', kinds), 'Stripe (stripe_eu)');
  assert.equal(sourceDisplayName('pagos_co', kinds), 'ePayco (pagos_co)');
  assert.equal(sourceDisplayName('stripe', kinds), 'Stripe');
  assert.equal(sourceDisplayName('stripe_custom', kinds), 'stripe_custom');
  // A custom source that happens to be named like a provider is not that provider.
  assert.equal(sourceDisplayName('mercadopago', kinds), 'mercadopago');
  // A source no longer configured (an old event) falls back to its name.
  assert.equal(sourceDisplayName('epayco', kinds), 'ePayco');
  assert.equal(sourceDisplayName('toString', kinds), 'toString');
  // Remembered once the config arrives: what the places that are not told (the reconciliation line) read.
  rememberSourceKinds(kinds);
  try {
    assert.equal(sourceDisplayName('stripe_eu'), 'Stripe (stripe_eu)');
  } finally {
    rememberSourceKinds(null);
  }
  assert.equal(sourceDisplayName('stripe_eu'), 'stripe_eu');
});
