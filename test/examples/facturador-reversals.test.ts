import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../src/core/types.js';
import { facturadorHarnessPerTest } from '../helpers/facturador-harness.js';
import { assertReversedOnce, reversalMessages } from '../helpers/facturador-reversal.js';

/**
 * Issue 14 item 6: ePayco reverses a payment the Facturador invoiced (state 6). Real HTTP
 * ingestion validated against the sandbox's ePayco, a real worker, the sandbox counted after:
 * one credit note against the WorldOffice invoice, the payment out of the cartera, Ventas
 * marked reversed, one WhatsApp message — in the invoice's entity order, once.
 */

const INVOICE = 'INV-ELITE-001';
const PRICE = 250000;

const { start } = facturadorHarnessPerTest();

describe('Facturador: reversals', () => {
  it('a reversal after the payment: one credit note, the payment out of the cartera, Ventas reversed, one WhatsApp', async () => {
    const harness = await start();
    const t0 = Date.now() - 60_000;
    const paid = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970001', state: '1', at: new Date(t0) });
    assert.equal((await harness.waitForStatus(paid, ['succeeded', 'dead'])).status, 'succeeded');
    assert.equal(harness.records('strapi', 'carteras')[0]?.totalPaid, PRICE, 'the payment was applied first');

    const reversal = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970001', state: '6', at: new Date(t0 + 30_000) });
    const event = await harness.waitForStatus(reversal, ['succeeded', 'dead', 'ignored']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError ?? event.ignoreReason));
    assert.equal(event.pipeline, 'facturador-reversals');
    assertReversedOnce(harness, INVOICE, PRICE);
    const note = (await harness.checkpoint(reversal, 'worldoffice_credit_note'))?.data as JsonObject;
    assert.equal(note.how, 'created');
    assert.equal(note.invoiceNumber, harness.records('worldoffice', 'invoices')[0]?.number);
    assert.match(String(reversalMessages(harness)[0]?.text), /reversó tu pago de 250\.000 COP/);
  });

  it('a reversal delivered before its payment runs after it (entity order): one invoice, one credit note', async () => {
    const harness = await start({ startWorker: false });
    const t0 = Date.now() - 60_000;
    // The two confirmations crossed on the way: each was validated while ePayco said so, and
    // the reversal was stored first. The engine runs an invoice's events in ePayco's order.
    const reversal = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970002', state: '6', at: new Date(t0 + 30_000) });
    const paid = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970002', state: '1', at: new Date(t0) });
    assert.ok(paid > reversal, 'the payment was stored after its reversal');
    harness.worker.start();
    await harness.waitForIdle();
    assert.equal((await harness.store.getEvent(paid))?.status, 'succeeded');
    assert.equal((await harness.store.getEvent(reversal))?.status, 'succeeded');
    assert.equal(((await harness.checkpoint(paid, 'invoice_payment'))?.data as JsonObject).role, 'payer');
    assert.equal(((await harness.checkpoint(reversal, 'reversal_payment'))?.data as JsonObject).role, 'payer');
    assertReversedOnce(harness, INVOICE, PRICE);
  });

  it('a repeated reversal delivery is a duplicate: still one credit note and one message', async () => {
    const harness = await start();
    const paid = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970003', state: '1' });
    await harness.waitForStatus(paid, ['succeeded', 'dead']);
    const first = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970003', state: '6' });
    await harness.waitForStatus(first, ['succeeded', 'dead']);
    const again = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970003', state: '6' });
    assert.equal(again, first, 'the same event');
    await harness.waitForIdle();
    assert.equal(await harness.store.countEvents({}), 2, 'the payment and one reversal');
    assertReversedOnce(harness, INVOICE, PRICE);
  });

  it('a reversal of a payment never processed makes no credit note and says why', async () => {
    const harness = await start();
    const reversal = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970004', state: '6' });
    assert.equal((await harness.waitForStatus(reversal, ['succeeded', 'dead'])).status, 'succeeded');
    const skipped = await harness.checkpoint(reversal, 'worldoffice_credit_note');
    assert.equal(skipped?.status, 'skipped');
    assert.equal(skipped?.skipReason?.kind, 'condition');
    assert.match(
      skipped?.skipReason?.kind === 'condition' ? skipped.skipReason.detail : '',
      /no credit note: no payment of invoice INV-ELITE-001 was processed .* never invoiced/,
    );
    for (const stage of ['strapi_cartera_reversal', 'strapi_facturacion_reversal', 'callbell_reversal_notification']) {
      assert.equal((await harness.checkpoint(reversal, stage))?.status, 'skipped', stage);
    }
    assert.equal(harness.records('worldoffice', 'credit_notes').length, 0);
    assert.equal(harness.records('callbell', 'messages').length, 0);
  });

  it('a payment invoiced with the invoice flag off: no credit note (the reason says so), the rest is reversed', async () => {
    const harness = await start();
    await harness.setFlag('WORLDOFFICE_INVOICE_ENABLED', false);
    const paid = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970005', state: '1' });
    await harness.waitForStatus(paid, ['succeeded', 'dead']);
    await harness.setFlag('WORLDOFFICE_INVOICE_ENABLED', true);
    const reversal = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970005', state: '6' });
    assert.equal((await harness.waitForStatus(reversal, ['succeeded', 'dead'])).status, 'succeeded');
    const skipped = await harness.checkpoint(reversal, 'worldoffice_credit_note');
    assert.match(
      skipped?.skipReason?.kind === 'condition' ? skipped.skipReason.detail : '',
      /invoice INV-ELITE-001 was never created in WorldOffice/,
    );
    assert.equal(harness.records('worldoffice', 'credit_notes').length, 0);
    assert.equal(harness.records('strapi', 'carteras')[0]?.totalPaid, 0);
    assert.equal(harness.records('strapi', 'facturacions')[0]?.status, 'reversed');
    assert.equal(reversalMessages(harness).length, 1);
  });

  it('whatsappOnReversal: false sends no message about the reversal, and says so', async () => {
    const harness = await start({ configure: (config) => ({ ...config, whatsappOnReversal: false }) });
    const paid = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970006', state: '1' });
    await harness.waitForStatus(paid, ['succeeded', 'dead']);
    const reversal = await harness.sendConfirmation({ invoiceId: INVOICE, refPayco: '970006', state: '6' });
    assert.equal((await harness.waitForStatus(reversal, ['succeeded', 'dead'])).status, 'succeeded');
    const skipped = await harness.checkpoint(reversal, 'callbell_reversal_notification');
    assert.match(skipped?.skipReason?.kind === 'condition' ? skipped.skipReason.detail : '', /whatsappOnReversal: false/);
    assert.equal(reversalMessages(harness).length, 0);
    assert.equal(harness.records('worldoffice', 'credit_notes').length, 1);
  });
});
