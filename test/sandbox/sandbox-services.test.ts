import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';

let sandbox: SandboxApp;
let app: FastifyInstance;

before(async () => {
  sandbox = await startSandboxApp();
  app = sandbox.app;
});
after(async () => sandbox.close());

async function post(url: string, payload: object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload, headers });
}
async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as T;
}

describe('FR360', () => {
  it('gives the same customer and product for the same invoice id, and records each query', async () => {
    const a = await app.inject({ method: 'GET', url: '/sandbox/fr360/invoices/INV-20250127-001' });
    const b = await app.inject({ method: 'GET', url: '/sandbox/fr360/invoices/INV-20250127-001' });
    assert.equal(a.statusCode, 200);
    assert.deepEqual(a.json(), b.json());
    const body = a.json();
    assert.match(body.customer.documentId, /^\d{10}$/);
    assert.match(body.customer.email, /@example\.com$/);
    assert.ok(body.product.price > 0);
    const queries = await getJson<unknown[]>('/sandbox/fr360/queries');
    assert.ok(queries.length >= 2);
  });

  it('knows the incident invoice INV-373 with its fixed data', async () => {
    const body = (await app.inject({ method: 'GET', url: '/sandbox/fr360/invoices/INV-373' })).json();
    assert.equal(body.product.name, 'Curso Intensivo UDEA 2026 - Cuota 1');
    assert.equal(body.product.price, 403125);
    assert.equal(body.agreementId, '25102764360103');
  });

  it('answers 404 for an unknown invoice and 400 for a malformed id', async () => {
    const missing = await app.inject({ method: 'GET', url: '/sandbox/fr360/invoices/UNKNOWN-1' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'NOT_FOUND');
    const bad = await app.inject({ method: 'GET', url: `/sandbox/fr360/invoices/${encodeURIComponent('a b')}` });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'INVALID_REQUEST');
  });
});

describe('services that honour Idempotency-Key', () => {
  it('FRAPP: the same key gives the same membership, once', async () => {
    const body = { email: 'a@example.com', documentId: '1', plan: 'Elite Monthly', months: 1, startDate: '2025-01-31' };
    const first = await post('/sandbox/frapp/memberships', body, { 'idempotency-key': 'k-frapp-1' });
    const again = await post('/sandbox/frapp/memberships', body, { 'idempotency-key': 'k-frapp-1' });
    assert.equal(first.statusCode, 201);
    assert.deepEqual(again.json(), first.json());
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(first.json().expiryDate, '2025-03-03');
    const other = await post('/sandbox/frapp/memberships', body, { 'idempotency-key': 'k-frapp-2' });
    assert.notEqual(other.json().id, first.json().id);
    const memberships = await getJson<unknown[]>('/sandbox/frapp/memberships');
    assert.equal(memberships.length, 2);
  });

  it('Callbell: the same key is one WhatsApp message', async () => {
    const body = { to: '+573001234567', text: 'Hola' };
    await post('/sandbox/callbell/messages', body, { 'idempotency-key': 'k-cb' });
    await post('/sandbox/callbell/messages', body, { 'idempotency-key': 'k-cb' });
    assert.equal((await getJson<unknown[]>('/sandbox/callbell/messages')).length, 1);
    const national = await post('/sandbox/callbell/messages', { to: '3001234567', text: 'Hola' });
    assert.equal(national.statusCode, 400, 'WhatsApp wants the international (E.164) number');
    assert.match(national.body, /to: an E\.164 phone number like \+573001234567/);
  });
});

describe('Clientify', () => {
  it('matches contacts by e-mail case-insensitively', async () => {
    const created = await post('/sandbox/clientify/contacts', { email: 'Cliente@Example.com', name: 'Cliente' });
    const updated = await post('/sandbox/clientify/contacts', { email: 'cliente@EXAMPLE.com', name: 'Cliente Uno' });
    assert.equal(created.json().action, 'created');
    assert.equal(updated.json().action, 'updated');
    assert.equal(updated.json().contact.id, created.json().contact.id);
    const contacts = await getJson<Array<{ name: string }>>('/sandbox/clientify/contacts');
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0]?.name, 'Cliente Uno');
  });

  it('rejects a contact without a valid e-mail with 400 naming the field', async () => {
    const res = await post('/sandbox/clientify/contacts', { email: 'nope', name: 'X' });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /email/);
  });
});

describe('WorldOffice', () => {
  let customerId: number;
  beforeEach(async () => {
    const res = await post('/sandbox/worldoffice/customers', { documentId: '1036654321', name: 'Cliente' });
    customerId = res.json().id;
  });

  it('finds the customer again by document id instead of creating another', async () => {
    const again = await post('/sandbox/worldoffice/customers', { documentId: '1036654321', name: 'Cliente' });
    assert.equal(again.json().id, customerId);
    assert.equal(again.json().created, false);
    assert.equal((await getJson<unknown[]>('/sandbox/worldoffice/customers')).length, 1);
  });

  it('creates a second invoice for the same reference, Idempotency-Key or not, like the real ERP', async () => {
    const invoice = { customerId, reference: 'REF-DUP', amount: 403125 };
    const a = await post('/sandbox/worldoffice/invoices', invoice, { 'idempotency-key': 'same' });
    const b = await post('/sandbox/worldoffice/invoices', invoice, { 'idempotency-key': 'same' });
    assert.equal(a.statusCode, 201);
    assert.equal(b.statusCode, 201);
    assert.notEqual(a.json().number, b.json().number);
    const found = await getJson<{ items: unknown[] }>('/sandbox/worldoffice/invoices?reference=REF-DUP');
    assert.equal(found.items.length, 2);
  });

  it('accounts and emits an invoice once; a second time is 409 with the existing result', async () => {
    const invoice = (await post('/sandbox/worldoffice/invoices', { customerId, reference: 'REF-ACC', amount: 1 })).json();
    const early = await post(`/sandbox/worldoffice/invoices/${invoice.id}/dian`, {});
    assert.equal(early.statusCode, 409);
    assert.equal(early.json().error.code, 'NOT_ACCOUNTED');
    const accounted = await post(`/sandbox/worldoffice/invoices/${invoice.id}/accounting`, {});
    assert.equal(accounted.statusCode, 201);
    const twice = await post(`/sandbox/worldoffice/invoices/${invoice.id}/accounting`, {});
    assert.equal(twice.statusCode, 409);
    assert.equal(twice.json().error.code, 'ALREADY_ACCOUNTED');
    assert.equal(twice.json().accountingId, accounted.json().accountingId);
    const emitted = await post(`/sandbox/worldoffice/invoices/${invoice.id}/dian`, {});
    assert.equal(emitted.statusCode, 201);
    assert.match(emitted.json().cufe, /^[0-9a-f]{96}$/);
    const again = await post(`/sandbox/worldoffice/invoices/${invoice.id}/dian`, {});
    assert.equal(again.json().error.code, 'ALREADY_EMITTED');
    const emissions = await getJson<Array<{ invoiceId: number }>>('/sandbox/worldoffice/emissions');
    assert.equal(emissions.filter((e) => e.invoiceId === invoice.id).length, 1);
  });

  it('answers 404 for an invoice of an unknown customer and 400 for a non-numeric id', async () => {
    const res = await post('/sandbox/worldoffice/invoices', { customerId: 999999, reference: 'R', amount: 1 });
    assert.equal(res.statusCode, 404);
    const bad = await post('/sandbox/worldoffice/invoices/abc/accounting', {});
    assert.equal(bad.statusCode, 400);
  });
});

// Strapi (v5 REST shape, and its refusal of the old shapes): test/sandbox/sandbox-strapi.test.ts

describe('payment provider APIs', () => {
  it('ePayco validates a registered reference and 404s an unknown one', async () => {
    await post('/sandbox/epayco/transactions', { x_ref_payco: '9001', x_amount: '1000', x_cod_transaction_state: '1' });
    const res = await app.inject({ method: 'GET', url: '/sandbox/epayco/validation/v1/reference/9001' });
    assert.equal(res.json().success, true);
    // ePayco's own shape: success, title_response, text_response, last_action, data: { x_* }.
    assert.deepEqual(Object.keys(res.json()).sort(), ['data', 'last_action', 'success', 'text_response', 'title_response']);
    assert.equal(res.json().data.x_amount, '1000');
    await post('/sandbox/epayco/transactions', { x_ref_payco: '9001', x_amount: '1000', x_cod_transaction_state: '6' });
    const moved = await app.inject({ method: 'GET', url: '/sandbox/epayco/validation/v1/reference/9001' });
    assert.equal(moved.json().data.x_cod_transaction_state, '6', 'the current state of the payment');
    const missing = await app.inject({ method: 'GET', url: '/sandbox/epayco/validation/v1/reference/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().success, false);
  });

  it('MercadoPago returns a created payment and preapproval by id', async () => {
    await post('/sandbox/mercadopago/payments', { id: 1234567, status: 'approved', transaction_amount: 50000 });
    const payment = await getJson<{ id: number; status: string }>('/sandbox/mercadopago/v1/payments/1234567');
    assert.deepEqual([payment.id, payment.status], [1234567, 'approved']);
    const pre = (await post('/sandbox/mercadopago/preapprovals', { status: 'authorized' })).json();
    const fetched = await getJson<{ id: string; status: string }>(`/sandbox/mercadopago/preapproval/${pre.id}`);
    assert.equal(fetched.status, 'authorized');
    const missing = await app.inject({ method: 'GET', url: '/sandbox/mercadopago/v1/payments/42' });
    assert.equal(missing.statusCode, 404);
  });

  it("MercadoPago serves authorized payments, and a POST with a known id is that object's new state", async () => {
    await post('/sandbox/mercadopago/authorized_payments', {
      id: 6114264375,
      preapproval_id: 'pre-x',
      payment: { id: 90001, status: 'approved' },
    });
    const charge = await getJson<{ id: number; preapproval_id: string }>('/sandbox/mercadopago/authorized_payments/6114264375');
    assert.deepEqual([charge.id, charge.preapproval_id], [6114264375, 'pre-x']);
    const created = await post('/sandbox/mercadopago/preapprovals', { id: 'pre-state', status: 'authorized' });
    const cancelled = await post('/sandbox/mercadopago/preapprovals', { id: 'pre-state', status: 'cancelled' });
    assert.deepEqual([created.statusCode, cancelled.statusCode], [201, 200]);
    assert.equal((await getJson<{ status: string }>('/sandbox/mercadopago/preapproval/pre-state')).status, 'cancelled');
    const listed = await getJson<Array<{ objectId: string }>>('/sandbox/mercadopago/preapprovals');
    assert.equal(listed.filter((p) => p.objectId === 'pre-state').length, 1);
  });

  it('Stripe retrieves a payment intent and a checkout session', async () => {
    const pi = (await post('/sandbox/stripe/payment_intents', { amount: 2000, currency: 'usd', status: 'succeeded' })).json();
    assert.match(pi.id, /^pi_/);
    const got = await getJson<{ id: string; object: string; amount: number }>(`/sandbox/stripe/v1/payment_intents/${pi.id}`);
    assert.deepEqual([got.id, got.object, got.amount], [pi.id, 'payment_intent', 2000]);
    await post('/sandbox/stripe/checkout_sessions', { id: 'cs_test_1', payment_status: 'paid' });
    const cs = await getJson<{ payment_status: string }>('/sandbox/stripe/v1/checkout/sessions/cs_test_1');
    assert.equal(cs.payment_status, 'paid');
  });
});

describe('collections', () => {
  it('404s an unknown service or collection, naming what exists', async () => {
    const res = await app.inject({ method: 'GET', url: '/sandbox/worldoffice/nothing' });
    assert.equal(res.statusCode, 404);
    assert.match(res.json().error.message, /invoices/);
    assert.equal((await app.inject({ method: 'GET', url: '/sandbox/nobody/things' })).statusCode, 404);
  });
});
