import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import { facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';

/**
 * Issue 14 item 8, end to end: FR360 gives the phone as people type it; WhatsApp, the CRM,
 * WorldOffice and Strapi get it in E.164. A phone that cannot be made E.164 stops the WhatsApp
 * and CRM stages with a coded, permanent error (nothing sent), and holds up no invoice or ledger.
 */
let h: FacturadorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Facturador: phones in E.164', () => {
  it('refuses an unknown phoneCountry when the pipeline is built, naming the known ones', () => {
    assert.throws(() => facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:1'), phoneCountry: 'XX' }), {
      name: 'ConfigError',
      message: /facturador: phoneCountry "XX" is not one of CO, MX/,
    });
    assert.equal(facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:1'), phoneCountry: 'MX' }).name, 'facturador');
  });

  it('"+57 (300) 123-4567" from FR360 reaches every service as +573001234567', async () => {
    h = await startFacturadorHarness();
    const id = await h.sendConfirmation({ invoiceId: 'INV-PHONE-FORMATTED', refPayco: '880001', state: '1' });
    const event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    assert.deepEqual(
      h.records('callbell', 'messages').map((m) => m.to),
      ['+573001234567'],
    );
    assert.deepEqual(
      h.records('clientify', 'contacts').map((c) => c.phone),
      ['+573001234567'],
    );
    assert.deepEqual(
      h.records('worldoffice', 'customers').map((c) => c.phone),
      ['+573001234567'],
    );
    assert.deepEqual(
      h.records('strapi', 'facturacions').map((f) => f.phone),
      ['+573001234567'],
    );
    assert.deepEqual(
      h.records('strapi', 'carteras').map((c) => c.phone),
      ['+573001234567'],
    );
  });

  it('FR360 has no phone: the one the payer typed at ePayco (x_customer_movil) reaches every service, and the stage says so', async () => {
    // The seeds' dashboard read the phone from FR360 or else from ePayco's x_customer_movil;
    // before, FR360's reply without a phone failed the look-up and the paid invoice was never made.
    h = await startFacturadorHarness();
    const id = await h.sendConfirmation({ invoiceId: 'INV-NO-PHONE', refPayco: '880003', state: '1' });
    const event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    const lookUp = await h.checkpoint(id, 'fr360_query');
    assert.deepEqual(
      [(lookUp?.data as { phoneFrom?: string }).phoneFrom, (lookUp?.data as { customer?: { phone?: string } }).customer?.phone],
      ['epayco', '3004445566'],
    );
    assert.equal(event.summary.customer?.phone, '3004445566', 'the dashboard shows the phone the customer gave');
    for (const [service, collection, field] of [
      ['callbell', 'messages', 'to'],
      ['clientify', 'contacts', 'phone'],
      ['worldoffice', 'customers', 'phone'],
      ['strapi', 'facturacions', 'phone'],
      ['strapi', 'carteras', 'phone'],
    ] as const) {
      assert.deepEqual(
        h.records(service, collection).map((r) => r[field]),
        ['+573004445566'],
        `${service} ${collection}`,
      );
    }
    assert.equal(h.records('worldoffice', 'invoices').length, 1);
  });

  it('"300 12": WhatsApp and CRM fail with PHONE_INVALID, permanent, nothing sent; the invoice and ledgers are made', async () => {
    h = await startFacturadorHarness();
    const id = await h.sendConfirmation({ invoiceId: 'INV-BAD-PHONE', refPayco: '880002', state: '1' });
    assert.equal((await h.waitForStatus(id, ['succeeded', 'dead'])).status, 'dead');
    for (const stage of ['callbell_notification', 'crm_upsert']) {
      const checkpoint = await h.checkpoint(id, stage);
      assert.equal(checkpoint?.status, 'error', stage);
      assert.equal(checkpoint?.error?.code, 'PHONE_INVALID', stage);
      assert.equal(checkpoint?.error?.retriable, false, `${stage}: retrying does not fix the customer's data`);
      assert.equal(checkpoint?.attempts, 1, `${stage}: tried once`);
      assert.match(
        checkpoint?.error?.message ?? '',
        /phone number "300 12" is not a valid number: fix it where the customer's data comes from/,
      );
    }
    assert.equal(h.records('callbell', 'messages').length, 0, 'no WhatsApp message to a half number');
    assert.equal(h.records('clientify', 'contacts').length, 0, 'no CRM contact with a wrong number');
    for (const stage of ['worldoffice_invoice_creation', 'strapi_cartera_update', 'strapi_facturacion_creation']) {
      assert.equal((await h.checkpoint(id, stage))?.status, 'success', stage);
    }
    assert.equal(h.records('worldoffice', 'customers')[0]?.phone, null, 'the invoice customer without the unusable phone');
    assert.equal(h.records('strapi', 'facturacions')[0]?.phone, null);
  });
});
