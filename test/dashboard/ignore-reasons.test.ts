import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translator } from '../../src/dashboard/app/i18n.js';
import { ignoreText } from '../../src/dashboard/app/ignore-reasons.js';

/**
 * An event ignored because it arrived out of order is said in a finance person's words: the same
 * payment or order, not the engine's "entity" (the events list of the demo is full of them).
 */
test('an out-of-order event is explained by the payment or order, without the word "entity"', () => {
  const stale = { kind: 'stale_transition', detail: 'event occurred at 2026-12-06T06:47:14.000Z, before event 141' };
  const es = ignoreText(translator('es'), 'es', stale);
  const en = ignoreText(translator('en'), 'en', stale);
  assert.equal(es, 'Llegó fuera de orden: ya se aplicó un aviso más reciente del mismo pago o pedido, así que este no cambia nada.');
  assert.equal(
    en,
    'Arrived out of order: a newer notice about the same payment or order was already applied, so this one changes nothing.',
  );
  assert.doesNotMatch(es, /entidad/);
  assert.doesNotMatch(en, /entity/);
});
