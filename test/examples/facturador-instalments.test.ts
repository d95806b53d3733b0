import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { rerunStage } from '../../src/engine/operations.js';
import { startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';

/**
 * The incident's product is "Cuota 1" of four: every instalment is another invoice of the same
 * agreement ("acuerdo"), and Strapi keeps one cartera per agreement (the seed looks it up with
 * filters[acuerdo][$eq]=25102764360103). Its payments must each count once in that one cartera.
 */
let h: FacturadorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function carteraOf(harness: FacturadorHarness) {
  const carteras = harness.records('strapi', 'carteras').filter((c) => c.acuerdo === '25102764360103');
  return {
    count: carteras.length,
    totalPaid: carteras.map((c) => c.totalPaid),
    payments: carteras.map((c) => (c.payments as unknown[]).length),
  };
}

describe('Facturador: the instalments of one agreement', () => {
  it('cuota 1, then cuota 2: one cartera, two payments, the total paid their sum; re-running cuota 1 counts nothing again', async () => {
    h = await startFacturadorHarness();
    const first = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
    assert.equal((await h.waitForStatus(first, ['succeeded', 'dead'])).status, 'succeeded');
    const second = await h.sendConfirmation({ invoiceId: 'INV-373-2', refPayco: '374', state: '1' });
    assert.equal((await h.waitForStatus(second, ['succeeded', 'dead'])).status, 'succeeded');
    assert.deepEqual(carteraOf(h), { count: 1, totalPaid: [806250], payments: [2] });

    await rerunStage(h.store, h.pipelines, first, 'strapi_cartera_update', 'ops@example.com');
    assert.equal((await h.waitForStatus(first, ['succeeded', 'dead'])).status, 'succeeded');
    assert.deepEqual(carteraOf(h), { count: 1, totalPaid: [806250], payments: [2] });
    assert.equal(h.records('worldoffice', 'invoices').length, 2, 'one invoice per instalment');
  });

  it('cuota 1 and cuota 2 paid at the same moment: still one cartera with both payments', async () => {
    h = await startFacturadorHarness({ concurrency: 2 });
    const ids = await Promise.all([
      h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' }),
      h.sendConfirmation({ invoiceId: 'INV-373-2', refPayco: '374', state: '1' }),
    ]);
    for (const id of ids) assert.equal((await h.waitForStatus(id, ['succeeded', 'dead'])).status, 'succeeded');
    assert.deepEqual(carteraOf(h), { count: 1, totalPaid: [806250], payments: [2] });
    // The services that find-or-create on their side keep one customer and one contact too.
    assert.equal(h.records('worldoffice', 'customers').length, 1);
    assert.equal(h.records('clientify', 'contacts').length, 1);
  });
});
