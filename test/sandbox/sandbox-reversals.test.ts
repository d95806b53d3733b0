import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';

/** What the sandbox offers for reversals (issue 14.6): WorldOffice credit notes (Strapi's take-backs are in sandbox-strapi.test.ts, in the v5 shape). */

let sandbox: SandboxApp;
let app: FastifyInstance;

before(async () => {
  sandbox = await startSandboxApp();
  app = sandbox.app;
});
after(async () => sandbox.close());

const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

describe('WorldOffice credit notes', () => {
  it('posts a credit note against an invoice, twice if asked twice (no idempotency key); finds them by invoice', async () => {
    const customer = (await post('/sandbox/worldoffice/customers', { documentId: '1036650001', name: 'Cliente' })).json();
    const invoice = (await post('/sandbox/worldoffice/invoices', { customerId: customer.id, reference: 'REF-NC', amount: 250000 })).json();
    const note = { invoiceId: invoice.id, amount: 250000, reason: 'Reversión del pago 1' };
    const a = await post('/sandbox/worldoffice/credit-notes', note);
    const b = await post('/sandbox/worldoffice/credit-notes', note);
    assert.deepEqual([a.statusCode, b.statusCode], [201, 201]);
    assert.equal(a.json().invoiceNumber, invoice.number);
    assert.equal(a.json().reference, 'REF-NC');
    assert.notEqual(a.json().number, b.json().number);
    const found = await app.inject({ method: 'GET', url: `/sandbox/worldoffice/credit-notes?invoiceId=${invoice.id}` });
    assert.equal(found.json().items.length, 2);
  });

  it('answers 404 for an unknown invoice and 400 without a reason, making nothing', async () => {
    assert.equal((await post('/sandbox/worldoffice/credit-notes', { invoiceId: 999999, amount: 1, reason: 'x' })).statusCode, 404);
    const bad = await post('/sandbox/worldoffice/credit-notes', { invoiceId: 1, amount: 1 });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /reason/);
    const all = (await app.inject({ method: 'GET', url: '/sandbox/worldoffice/credit-notes' })).json() as unknown[];
    assert.equal(all.length, 2, 'only the two of the test above');
  });
});
