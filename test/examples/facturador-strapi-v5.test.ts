import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ServiceEndpoint } from '../../examples/facturador/config.js';
import { sendWhatsApp } from '../../examples/facturador/connectors/callbell.js';
import { upsertContact } from '../../examples/facturador/connectors/clientify.js';
import {
  applyPayment,
  createCartera,
  findCartera,
  markFacturacionReversed,
  removePayment,
  setFacturacionInvoiceNumber,
  upsertFacturacion,
  type Facturacion,
} from '../../examples/facturador/connectors/strapi.js';
import type { JsonObject } from '../../src/core/types.js';
import type { RecordedRequest } from '../../src/sandbox/request-log.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';

/**
 * Issue 14 item 8: the Facturador's connectors speak the real systems' shapes, checked on what
 * the sandbox received over HTTP (its request log): Strapi v5's REST (qs-style `$eq` filters,
 * `{ data }` envelopes, `documentId` in paths) and E.164 phone numbers.
 */
let sandbox: SandboxApp;
let baseUrl: string;
let strapi: ServiceEndpoint;
/** The stage's I/O a connector takes, outside a stage: the plain fetch, nothing recorded. */
const io = {
  signal: new AbortController().signal,
  http: { fetch: (input: string | URL, init?: RequestInit) => fetch(input, init), record: () => undefined },
};

before(async () => {
  sandbox = await startSandboxApp({ listen: true });
  baseUrl = baseUrlOf(sandbox.app);
  strapi = { baseUrl: `${baseUrl}/sandbox/strapi/api`, token: 'sandbox' };
});
after(async () => sandbox.close());
beforeEach(async () => {
  await fetch(`${baseUrl}/sandbox/_requests`, { method: 'DELETE' });
});

async function received(service: string): Promise<RecordedRequest[]> {
  const reply = await fetch(`${baseUrl}/sandbox/_requests?service=${service}`);
  assert.equal(reply.status, 200);
  return ((await reply.json()) as { items: RecordedRequest[] }).items;
}

const DOCUMENT_ID = /^[a-z0-9]{24}$/;

describe('Strapi connector (Strapi v5 REST)', () => {
  it('finds a cartera with filters[acuerdo][$eq]=, creates it and applies a payment in { data } envelopes, by documentId', async () => {
    const acuerdo = 'AC 25102764/360103&x';
    assert.equal(await findCartera(strapi, acuerdo, io), undefined);
    const cartera = await createCartera(
      strapi,
      { acuerdo, documentId: '1234567890', customerName: 'Juan Pérez', phone: '300 123 4567', total: 1_612_500 },
      io,
    );
    assert.match(cartera.documentId, DOCUMENT_ID);
    const updated = await applyPayment(strapi, cartera.documentId, { reference: 'epayco-invoice:INV-1', amount: 403_125 }, io);
    assert.deepEqual(updated.payments, [{ reference: 'epayco-invoice:INV-1', amount: 403_125 }]);
    const found = await findCartera(strapi, acuerdo, io);
    assert.equal(found?.documentId, cartera.documentId);
    assert.equal(found?.payments.length, 1, 'the payments component is populated');

    const requests = await received('strapi');
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      [
        'GET /sandbox/strapi/api/carteras?filters[acuerdo][$eq]=AC%2025102764%2F360103%26x&populate=payments',
        'POST /sandbox/strapi/api/carteras',
        `POST /sandbox/strapi/api/carteras/${cartera.documentId}/payments`,
        'GET /sandbox/strapi/api/carteras?filters[acuerdo][$eq]=AC%2025102764%2F360103%26x&populate=payments',
      ],
    );
    assert.deepEqual(requests[1]?.body, {
      data: { acuerdo, cedula: '1234567890', customerName: 'Juan Pérez', total: 1_612_500, phone: '+573001234567' },
    });
    assert.deepEqual(requests[2]?.body, { data: { reference: 'epayco-invoice:INV-1', amount: 403_125 } });
  });

  it('creates a facturación record, then updates it by documentId with only what changed', async () => {
    const record: Facturacion = {
      reference: 'INV-V5-1',
      documentId: '1234567890',
      customerName: 'Juan Pérez',
      phone: '+57 (300) 123-4567',
      product: 'Curso Intensivo UDEA 2026 - Cuota 1',
      amount: 403_125,
      currency: 'COP',
      invoiceNumber: null,
    };
    const created = await upsertFacturacion(strapi, record, io);
    assert.equal(created.action, 'created');
    assert.match(created.documentId, DOCUMENT_ID);
    assert.equal(await setFacturacionInvoiceNumber(strapi, 'INV-V5-1', 25290, io), 'updated');
    assert.equal(await setFacturacionInvoiceNumber(strapi, 'INV-V5-1', 25290, io), 'already');
    const again = await upsertFacturacion(strapi, record, io);
    assert.deepEqual([again.action, again.documentId], ['updated', created.documentId]);

    const requests = await received('strapi');
    const find = 'GET /sandbox/strapi/api/facturacions?filters[reference][$eq]=INV-V5-1';
    const update = `PUT /sandbox/strapi/api/facturacions/${created.documentId}`;
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      [find, 'POST /sandbox/strapi/api/facturacions', find, update, find, find, update],
    );
    const { documentId: cedula, phone: _phone, ...fields } = record;
    assert.deepEqual(requests[1]?.body, { data: { ...fields, cedula, phone: '+573001234567' } });
    assert.deepEqual(requests[3]?.body, { data: { invoiceNumber: 25290 } }, 'Strapi updates partially: only the number');
    const { invoiceNumber: _none, ...withoutNumber } = fields;
    assert.deepEqual(
      requests[6]?.body,
      { data: { ...withoutNumber, cedula, phone: '+573001234567' } },
      'a run without a number never erases it',
    );
    const [stored] = sandbox.store.list('strapi', 'facturacions');
    assert.equal(stored?.invoiceNumber, 25290);
  });
});

describe('Strapi connector: reversals (issue 14.6) in the same v5 shape', () => {
  it('takes a payment out of the cartera by documentId, and marks Ventas reversed with a partial update', async () => {
    const cartera = await createCartera(strapi, { acuerdo: 'AC-REV', documentId: '1', customerName: 'Ana', total: 500 }, io);
    await applyPayment(strapi, cartera.documentId, { reference: 'epayco-invoice:INV-REV', amount: 200 }, io);
    const created = await upsertFacturacion(
      strapi,
      { reference: 'INV-REV', documentId: '1', customerName: 'Ana', product: 'P', amount: 200, currency: 'COP', invoiceNumber: null },
      io,
    );
    await fetch(`${baseUrl}/sandbox/_requests`, { method: 'DELETE' });

    const after = await removePayment(strapi, cartera.documentId, 'epayco-invoice:INV-REV', io);
    assert.deepEqual([after.payments.length, after.totalPaid, after.balance], [0, 0, 500]);
    assert.equal(await markFacturacionReversed(strapi, 'INV-REV', io), 'updated');
    assert.equal(await markFacturacionReversed(strapi, 'INV-REV', io), 'already');
    assert.equal(await markFacturacionReversed(strapi, 'INV-NONE', io), 'none');

    const requests = await received('strapi');
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      [
        `DELETE /sandbox/strapi/api/carteras/${cartera.documentId}/payments?reference=epayco-invoice%3AINV-REV`,
        'GET /sandbox/strapi/api/facturacions?filters[reference][$eq]=INV-REV',
        `PUT /sandbox/strapi/api/facturacions/${created.documentId}`,
        'GET /sandbox/strapi/api/facturacions?filters[reference][$eq]=INV-REV',
        'GET /sandbox/strapi/api/facturacions?filters[reference][$eq]=INV-NONE',
      ],
    );
    assert.deepEqual(requests[2]?.body, { data: { status: 'reversed' } });
    const [ventas] = sandbox.store.findBy('strapi', 'facturacions', 'reference', 'INV-REV');
    assert.deepEqual([ventas?.status, ventas?.amount, ventas?.customerName], ['reversed', 200, 'Ana'], 'only the status changed');
  });
});

describe('phones the connectors send (E.164)', () => {
  const callbell = (): ServiceEndpoint => ({ baseUrl: `${baseUrl}/sandbox/callbell` });
  const clientify = (): ServiceEndpoint => ({ baseUrl: `${baseUrl}/sandbox/clientify` });

  it('WhatsApp and the CRM get +57… whatever the source gave', async () => {
    await sendWhatsApp(callbell(), { to: '57 300.123.4567', text: 'Hola' }, 'key-e164-1', io);
    await upsertContact(clientify(), { email: 'juan@example.com', name: 'Juan', phone: '(300) 123-4567', documentId: '1', tags: [] }, io);
    await sendWhatsApp(callbell(), { to: '55 1234 5678', text: 'Hola' }, 'key-e164-2', io, 'MX');
    const sent = [...(await received('callbell')), ...(await received('clientify'))].map(
      (r) => (r.body as JsonObject).to ?? (r.body as JsonObject).phone,
    );
    assert.deepEqual(sent, ['+573001234567', '+525512345678', '+573001234567']);
  });

  it('an unusable number is a coded permanent error, and nothing is sent', async () => {
    for (const call of [
      () => sendWhatsApp(callbell(), { to: '300 123', text: 'Hola' }, 'key-bad', io),
      () => upsertContact(clientify(), { email: 'x@example.com', name: 'X', phone: 'no tiene', documentId: '1', tags: [] }, io),
    ]) {
      await assert.rejects(call, (err: Error & { code?: string }) => {
        assert.equal(err.name, 'PhoneNumberError');
        assert.equal(err.code, 'PHONE_INVALID');
        return true;
      });
    }
    assert.deepEqual([...(await received('callbell')), ...(await received('clientify'))], [], 'no request reached WhatsApp or the CRM');
  });
});
