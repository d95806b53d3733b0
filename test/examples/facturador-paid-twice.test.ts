import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../src/core/types.js';
import { facturadorStoreAt, invoiceClaimKey } from '../../examples/facturador/payments.js';
import { facturadorHarnessPerTest } from '../helpers/facturador-harness.js';
import { allAlerts, assertOncePerInvoice, paidTwiceAlerts, payEveryInvoiceTwiceAtOnce } from '../helpers/facturador-paid-twice.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/**
 * Issue 17 item 2: one invoice paid by two ePayco transactions (two `x_ref_payco`, both
 * accepted). The Facturador invoices it once — one invoice, one Ventas record, one
 * membership, one WhatsApp message, one payment in the cartera — and the second payment is
 * recorded on its event and raised as a "paid twice" alert naming both references and amounts.
 * Real HTTP ingestion, real workers with concurrency > 1, the sandbox counted afterwards.
 */

const { start, closeNow } = facturadorHarnessPerTest();

describe('Facturador: one invoice paid twice', () => {
  it('20 invoices each paid twice at the same moment (serialised by invoice): 20 invoices, 20 Ventas, 20 memberships, 20 alerts', async () => {
    const harness = await start({ concurrency: 4 });
    await payEveryInvoiceTwiceAtOnce(harness);
    await assertOncePerInvoice(harness);
  });

  it('the same with events keyed per x_ref_payco (both payments of an invoice run at once): the invoice claim alone holds', async () => {
    const harness = await start({ concurrency: 4, entityKey: 'reference' });
    await payEveryInvoiceTwiceAtOnce(harness);
    await assertOncePerInvoice(harness);
  });

  it('a second payment after the first was fully processed makes no second membership, message or invoice, and one alert', async () => {
    const harness = await start();
    const first = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '910001', state: '1' });
    assert.equal((await harness.waitForStatus(first, ['succeeded', 'dead'])).status, 'succeeded');
    const second = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '910002', state: '1' });
    assert.equal((await harness.waitForStatus(second, ['succeeded', 'dead'])).status, 'succeeded');

    assert.equal(harness.records('frapp', 'memberships').length, 1, 'one membership');
    assert.equal(harness.records('callbell', 'messages').length, 1, 'one WhatsApp message');
    assert.equal(harness.records('worldoffice', 'invoices').length, 1, 'one invoice');
    assert.equal(harness.records('strapi', 'facturacions').length, 1, 'one Ventas record');
    assert.equal(harness.records('strapi', 'carteras')[0]?.totalPaid, 250000, 'the cartera counted one payment');
    const recorded = (await harness.checkpoint(second, 'invoice_payment'))?.data as JsonObject;
    assert.deepEqual(recorded, {
      role: 'paid_twice',
      invoiceId: 'INV-ELITE-001',
      paidBy: { eventId: first, refPayco: '910001', amount: 250000, currency: 'COP' },
      reversedBy: null,
    });
    const [alert, ...more] = paidTwiceAlerts(await allAlerts(harness));
    assert.equal(more.length, 0);
    assert.equal(alert?.eventId, second);
    assert.deepEqual(alert?.details, {
      alert: 'paid_twice',
      invoiceId: 'INV-ELITE-001',
      first: { eventId: first, refPayco: '910001', amount: 250000, currency: 'COP' },
      second: { eventId: second, refPayco: '910002', amount: 250000, currency: 'COP' },
    });
  });

  it('the refund of the second payment (its reversal) leaves the invoice paid by the first', async () => {
    const harness = await start();
    const first = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '960001', state: '1' });
    await harness.waitForStatus(first, ['succeeded', 'dead']);
    const second = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '960002', state: '1' });
    await harness.waitForStatus(second, ['succeeded', 'dead']);
    const refund = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '960002', state: '6' });
    assert.equal((await harness.waitForStatus(refund, ['ignored', 'succeeded', 'dead'])).status, 'succeeded');
    const claim = await harness.store.getEntityState(invoiceClaimKey('INV-ELITE-001'));
    assert.deepEqual([claim?.state, claim?.eventId], ['paid', first]);
    assert.equal(harness.records('worldoffice', 'invoices').length, 1);
    // The reversal pipeline tells the refund of the second payment from a reversal of the payer.
    assert.equal(((await harness.checkpoint(refund, 'reversal_payment'))?.data as JsonObject).role, 'not_payer');
    const skipped = await harness.checkpoint(refund, 'worldoffice_credit_note');
    assert.match(
      skipped?.skipReason?.kind === 'condition' ? skipped.skipReason.detail : '',
      /second payment of invoice INV-ELITE-001,.* leaves the invoice paid/,
    );
    assert.equal(harness.records('worldoffice', 'credit_notes').length, 0);
    assert.equal(harness.records('strapi', 'carteras')[0]?.totalPaid, 250000, 'the first payment stays in the cartera');
  });

  it('an acceptance delivered after its own reversal is not invoiced, and the invoice waits for its next payment', async () => {
    const harness = await start();
    const t0 = Date.now() - 60_000;
    const reversal = await harness.sendConfirmation({
      invoiceId: 'INV-ELITE-001',
      refPayco: '950001',
      state: '6',
      at: new Date(t0 + 10_000),
    });
    await harness.waitForStatus(reversal, ['ignored', 'succeeded', 'dead']);
    const late = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '950001', state: '1', at: new Date(t0) });
    assert.equal((await harness.waitForStatus(late, ['succeeded', 'dead'])).status, 'succeeded');
    assert.deepEqual((await harness.checkpoint(late, 'invoice_payment'))?.data, {
      role: 'reversed',
      invoiceId: 'INV-ELITE-001',
      paidBy: null,
      reversedBy: reversal,
    });
    assert.equal((await harness.checkpoint(late, 'fr360_query'))?.skipReason?.kind, 'condition');
    assert.equal(harness.records('worldoffice', 'invoices').length, 0);
    assert.equal(harness.records('frapp', 'memberships').length, 0);
    assert.equal(paidTwiceAlerts(await allAlerts(harness)).length, 0);

    const next = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '950002', state: '1', at: new Date(t0 + 20_000) });
    assert.equal((await harness.waitForStatus(next, ['succeeded', 'dead'])).status, 'succeeded');
    assert.equal(((await harness.checkpoint(next, 'invoice_payment'))?.data as JsonObject).role, 'payer');
    assert.equal(harness.records('worldoffice', 'invoices').length, 1);
    assert.equal(harness.records('frapp', 'memberships').length, 1);
  });

  it('a rejected and a pending transaction, then another one accepted: invoiced once, no alert', async () => {
    const harness = await start();
    const t0 = Date.now() - 60_000;
    await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '920001', state: '3', at: new Date(t0) });
    await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '920001', state: '2', at: new Date(t0 + 10_000) });
    await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '920002', state: '3', at: new Date(t0 + 20_000) });
    const accepted = await harness.sendConfirmation({
      invoiceId: 'INV-ELITE-001',
      refPayco: '920002',
      state: '1',
      at: new Date(t0 + 30_000),
    });
    assert.equal((await harness.waitForStatus(accepted, ['succeeded', 'dead'])).status, 'succeeded');
    await harness.waitForIdle();
    assert.equal(harness.records('worldoffice', 'invoices').length, 1);
    assert.equal(harness.records('frapp', 'memberships').length, 1);
    assert.equal(paidTwiceAlerts(await allAlerts(harness)).length, 0);
    assert.equal(((await harness.checkpoint(accepted, 'invoice_payment'))?.data as JsonObject).role, 'payer');
  });

  it('in a webpig.config.ts: facturadorStoreAt(the database URL) opens its own connection on first use, and alerts there', async () => {
    const { dir, remove } = tempDatabaseDir('webpig-facturador-store-at-');
    try {
      const dbPath = join(dir, 'webpig.db');
      const store = facturadorStoreAt(`sqlite:${dbPath}`);
      const harness = await start({ dbPath, withStore: false, configure: (config) => ({ ...config, store }) });
      const first = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '940001', state: '1' });
      await harness.waitForStatus(first, ['succeeded', 'dead']);
      const second = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '940002', state: '1' });
      assert.equal((await harness.waitForStatus(second, ['succeeded', 'dead'])).status, 'succeeded');
      assert.equal(harness.records('frapp', 'memberships').length, 1);
      const alerts = paidTwiceAlerts(await allAlerts(harness));
      assert.deepEqual(
        alerts.map((a) => a.eventId),
        [second],
      );
      await closeNow();
    } finally {
      remove();
    }
  });

  it('without the store, a second payment of the invoice is ignored by the entity gate: one membership', async () => {
    const harness = await start({ withStore: false });
    const first = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '930001', state: '1' });
    await harness.waitForStatus(first, ['succeeded', 'dead']);
    const second = await harness.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '930002', state: '1' });
    const event = await harness.waitForStatus(second, ['ignored', 'succeeded', 'dead']);
    assert.equal(event.status, 'ignored');
    assert.equal(event.ignoreReason?.kind, 'invalid_transition');
    assert.equal(harness.records('frapp', 'memberships').length, 1);
    assert.equal(harness.records('worldoffice', 'invoices').length, 1);
  });
});
