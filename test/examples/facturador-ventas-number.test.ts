import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { rerunStage } from '../../src/engine/operations.js';
import { startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';

/**
 * Issue 14 item 1: Ventas (Strapi's facturación record) ends with the WorldOffice invoice
 * number whenever the invoice exists, also when Ventas was recorded before the invoice: after
 * the invoice's reply was lost and retried, and after the invoice is made later by hand.
 */

let h: FacturadorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Facturador: Ventas carries the invoice number', () => {
  it('after a lost invoice reply: Ventas, recorded first without the number, gets it when the invoice is found', async () => {
    h = await startFacturadorHarness();
    h.fault({ service: 'worldoffice', operation: 'create_invoice', mode: 'effect-then-fail', count: 1 });
    const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
    const event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));

    // The case of the issue did happen: Ventas was written while the invoice stage was failing.
    const ventasStage = await h.checkpoint(id, 'strapi_facturacion_creation');
    const invoiceStage = await h.checkpoint(id, 'worldoffice_invoice_creation');
    assert.equal(invoiceStage?.history[1]?.note, 'recovered by reconcile');
    assert.ok(ventasStage!.completedAt! < invoiceStage!.completedAt!, 'Ventas was recorded before the invoice stage succeeded');

    const [invoice, ...moreInvoices] = h.records('worldoffice', 'invoices');
    const [ventas, ...moreVentas] = h.records('strapi', 'facturacions');
    assert.equal(moreInvoices.length + moreVentas.length, 0, 'one invoice, one Ventas record');
    assert.equal(typeof invoice?.number, 'number');
    assert.equal(ventas?.invoiceNumber, invoice?.number, 'Ventas has the invoice number');
    assert.equal(ventas?.reference, 'INV-373');
    assert.equal(ventas?.amount, 403125, 'the rest of the record is kept');
    assert.equal(ventas?.customerName, 'Cliente Incidente');
  });

  it('after an invoice made later by a manual re-run (flag off, then on): Ventas gets the number', async () => {
    h = await startFacturadorHarness();
    await h.setFlag('WORLDOFFICE_INVOICE_ENABLED', false);
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555005', state: '1' });
    assert.equal((await h.waitForStatus(id, ['succeeded', 'dead'])).status, 'succeeded');
    assert.equal(h.records('strapi', 'facturacions')[0]?.invoiceNumber, null, 'no invoice yet, no number');

    await h.setFlag('WORLDOFFICE_INVOICE_ENABLED', true);
    await rerunStage(h.store, h.pipelines, id, 'worldoffice_invoice_creation', 'finance1@example.com');
    assert.equal((await h.waitForStatus(id, ['succeeded', 'dead'])).status, 'succeeded');
    const invoices = h.records('worldoffice', 'invoices');
    assert.equal(invoices.length, 1);
    const ventas = h.records('strapi', 'facturacions');
    assert.equal(ventas.length, 1);
    assert.equal(ventas[0]?.invoiceNumber, invoices[0]?.number, 'Ventas has the number of the invoice made by the re-run');
    assert.equal(((await h.checkpoint(id, 'worldoffice_invoice_creation'))?.data as { ventas?: string }).ventas, 'updated');

    // Re-running it again finds the invoice and changes nothing.
    await rerunStage(h.store, h.pipelines, id, 'worldoffice_invoice_creation', 'finance1@example.com');
    await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(h.records('worldoffice', 'invoices').length, 1);
    assert.equal(h.records('strapi', 'facturacions')[0]?.invoiceNumber, invoices[0]?.number);
  });

  it('a normal run reads the number when it records Ventas: no second write', async () => {
    h = await startFacturadorHarness();
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555006', state: '1' });
    assert.equal((await h.waitForStatus(id, ['succeeded', 'dead'])).status, 'succeeded');
    assert.equal(h.records('strapi', 'facturacions')[0]?.invoiceNumber, h.records('worldoffice', 'invoices')[0]?.number);
    assert.equal(((await h.checkpoint(id, 'worldoffice_invoice_creation'))?.data as { ventas?: string }).ventas, 'none');
    assert.equal(h.received.filter((r) => r.method === 'PUT' && r.url.includes('/facturacions/')).length, 0);
  });
});
