import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceDisplayName } from '../../src/dashboard/app/source-names.js';

test("a built-in provider's source reads as the provider's name; any other keeps its configured name", () => {
  assert.deepEqual(['epayco', 'mercadopago', 'stripe'].map(sourceDisplayName), ['ePayco', 'MercadoPago', 'Stripe']);
  // A custom source, or a provider configured under another name: as written in the config.
  for (const name of ['mercadopago_suscripciones_colegio_bogota_norte', 'stripe_eu', 'shop', 'constructor', 'toString'])
    assert.equal(sourceDisplayName(name), name);
});
