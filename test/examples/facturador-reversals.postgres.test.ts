import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { secondWorker, startFacturadorHarness } from '../helpers/facturador-harness.js';
import { reversalMessages } from '../helpers/facturador-reversal.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';

/**
 * Reversals on PostgreSQL with two workers (concurrency 3 each) on one database: 12 invoices,
 * each one's reversal stored before its payment. Whichever worker claims what, the engine runs
 * each invoice's payment before its reversal: 12 invoices, 12 credit notes (one per invoice),
 * every payment out of its cartera, 12 Ventas reversed, 12 messages about a reversal.
 */
const schemas = withTestSchema();
const COUNT = 12;

describe('Facturador reversals on PostgreSQL, two workers', { skip: await postgresSkip() }, () => {
  it('reversals stored before their payments: one invoice and one credit note per invoice', async () => {
    const { url } = await schemas.create();
    const h = await startFacturadorHarness({ store: await PostgresStore.open(url), concurrency: 3, startWorker: false });
    const second = secondWorker(h);
    try {
      const t0 = Date.now() - 60_000;
      for (let i = 0; i < COUNT; i++) {
        const payment = { invoiceId: `INV-PG-REV-${i}`, refPayco: String(980000 + i) };
        await h.sendConfirmation({ ...payment, state: '6', at: new Date(t0 + 30_000) });
        await h.sendConfirmation({ ...payment, state: '1', at: new Date(t0) });
      }
      h.worker.start();
      second.start();
      await h.waitForIdle(60_000);

      assert.equal(await h.store.countEvents({ status: ['succeeded'] }), 2 * COUNT, 'every event succeeded');
      const invoices = h.records('worldoffice', 'invoices');
      assert.equal(invoices.length, COUNT, 'one invoice per invoice id');
      const notes = h.records('worldoffice', 'credit_notes');
      assert.equal(notes.length, COUNT, 'one credit note per invoice');
      assert.deepEqual(new Set(notes.map((n) => n.invoiceId)), new Set(invoices.map((inv) => inv.id)), 'each against its own invoice');
      for (const cartera of h.records('strapi', 'carteras'))
        assert.deepEqual([cartera.totalPaid, cartera.payments], [0, []], `cartera ${cartera.id}`);
      assert.deepEqual(
        h.records('strapi', 'facturacions').map((v) => v.status),
        Array(COUNT).fill('reversed'),
      );
      assert.equal(reversalMessages(h).length, COUNT);
      assert.equal(h.records('callbell', 'messages').length, 2 * COUNT);
    } finally {
      await second.stop({ abort: true });
      await h.close();
    }
  });
});
