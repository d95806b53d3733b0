/**
 * The retry guide's own processor (issue: "The seeds' stories"): a one-off MercadoPago payment
 * is read from MercadoPago's API, the shop's payment record moves forward, and an approved
 * payment's customer is tagged in GoHighLevel — once, across duplicate notifications, a reply
 * lost after GoHighLevel tagged, and a payment that is pending first. Real HTTP: the sandbox's
 * MercadoPago and GoHighLevel, signed notifications through the webhook route, the real worker.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mercadopagoPaymentsPipeline } from '../../examples/mercadopago-payments/pipeline.js';
import { retryEvent } from '../../src/engine/operations.js';
import { PaymentStore } from '../../examples/mercadopago-payments/payment-store.js';
import { deliver, startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

describe('MercadoPago one-off payments: shop record and GoHighLevel tag, once', () => {
  let sandbox: SandboxApp;
  let engine: EngineHarness;
  let shopDb: { dir: string; remove: () => void };
  let payments: PaymentStore;
  let seq = 1;

  before(async () => {
    sandbox = await startSandboxApp({ listen: true });
    const base = baseUrlOf(sandbox.app);
    shopDb = tempDatabaseDir('shop-payments-');
    payments = new PaymentStore(join(shopDb.dir, 'shop.db'));
    engine = await startEngine({
      sources: [{ name: 'mercadopago-payments', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      pipelines: [
        mercadopagoPaymentsPipeline({
          mercadopagoApiUrl: `${base}/sandbox/mercadopago`,
          mercadopagoAccessToken: 'TEST-token',
          payments,
          gohighlevel: { baseUrl: `${base}/sandbox/gohighlevel`, token: 'ghl-test-token', locationId: 'loc-1' },
        }),
      ],
    });
  });
  after(async () => {
    await engine.close({ keep: false });
    payments.close();
    shopDb.remove();
    await sandbox.close();
  });

  async function sandboxPost(path: string, body: object): Promise<void> {
    const res = await sandbox.app.inject({ method: 'POST', url: `/sandbox/${path}`, payload: body });
    assert.ok(res.statusCode < 300, `${path}: ${res.statusCode} ${res.body}`);
  }

  /** A payment's state at MercadoPago, as `GET /v1/payments/{id}` will describe it. */
  const paymentAt = (id: number, status: string, extra: object = {}) =>
    sandboxPost('mercadopago/payments', {
      id,
      status,
      transaction_amount: 120000,
      currency_id: 'COP',
      external_reference: `ORDER-${id}`,
      description: 'Curso de cocina',
      payer: { email: `Cliente.${id}@Example.com` },
      ...extra,
    });

  async function notify(id: number, action = 'payment.updated') {
    const n = seq++;
    const signed = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      dataId: String(id),
      requestId: `req-pay-${n}`,
      body: { id: 90_000 + n, live_mode: true, type: 'payment', action, date_created: new Date().toISOString(), data: { id: String(id) } },
    });
    const event = await waitForEvent(engine.store, (await deliver(engine, 'mercadopago-payments', signed)).id);
    const checkpoints = await engine.store.getCheckpoints(event.id);
    return { event, stage: (name: string) => checkpoints.find((c) => c.stage === name) };
  }

  function contacts(email: string) {
    return sandbox.store.list('gohighlevel', 'contacts').filter((c) => String(c.email).toLowerCase() === email.toLowerCase());
  }

  it('an approved payment updates the shop and tags the customer once, whatever the notifications', async () => {
    payments.createOrder('ORDER-5001', 120000, 'COP', new Date());
    await paymentAt(5001, 'approved');
    const first = await notify(5001, 'payment.created');
    assert.equal(first.event.status, 'succeeded', JSON.stringify(first.event.lastError));
    assert.equal(payments.get('ORDER-5001')?.status, 'approved');
    assert.deepEqual(first.stage('update_shop_payment')?.data, { outcome: 'updated', status: 'approved' });
    assert.equal(first.event.summary.customer?.email, 'Cliente.5001@Example.com');
    assert.equal(first.event.summary.amount, 120000);
    // A second notification about the same payment: nothing new to write, no second tag.
    const second = await notify(5001);
    assert.deepEqual(second.stage('update_shop_payment')?.data, { outcome: 'unchanged', status: 'approved' });
    assert.deepEqual(second.stage('tag_crm')?.data, {
      contactId: first.stage('tag_crm')?.data && (first.stage('tag_crm')?.data as { contactId: string }).contactId,
      tags: ['pago-aprobado'],
      added: [],
    });
    const [contact, ...others] = contacts('cliente.5001@example.com');
    assert.equal(others.length, 0, 'one contact per e-mail');
    assert.deepEqual(contact?.tags, ['pago-aprobado']);
    assert.equal(contact?.tagRequests, 1, 'tagged once');
  });

  it('GoHighLevel tags and the reply is lost: the retry finds the tag and does not ask again', async () => {
    await paymentAt(5002, 'approved');
    await sandboxPost('_faults', { service: 'gohighlevel', operation: 'add_tags', mode: 'effect-then-fail', count: 1 });
    const run = await notify(5002);
    assert.equal(run.event.status, 'succeeded', JSON.stringify(run.event.lastError));
    assert.equal(run.stage('tag_crm')?.attempts, 2, 'the first attempt saw the lost reply');
    const [contact] = contacts('cliente.5002@example.com');
    assert.equal(contact?.tagRequests, 1);
    assert.deepEqual(contact?.tags, ['pago-aprobado']);
  });

  it('pending first: recorded, not tagged (with the reason); approved later: moved forward and tagged; a refund is recorded', async () => {
    await paymentAt(5003, 'pending');
    const pending = await notify(5003, 'payment.created');
    assert.equal(payments.get('ORDER-5003')?.status, 'pending', 'an order the shop did not know is still recorded');
    assert.equal(pending.stage('tag_crm')?.status, 'skipped');
    assert.deepEqual(pending.stage('tag_crm')?.skipReason, {
      kind: 'condition',
      detail: 'payment is pending: only approved payments are tagged',
    });
    assert.equal(contacts('cliente.5003@example.com').length, 0);

    await paymentAt(5003, 'approved');
    await notify(5003);
    assert.equal(payments.get('ORDER-5003')?.status, 'approved');
    assert.equal(contacts('cliente.5003@example.com')[0]?.tagRequests, 1);

    await paymentAt(5003, 'refunded');
    const refund = await notify(5003);
    assert.equal(payments.get('ORDER-5003')?.status, 'refunded');
    assert.equal(refund.stage('tag_crm')?.status, 'skipped');
  });

  it('rejected, then paid with another card (a second payment of the order): the order is paid; the first payment read late does not undo it', async () => {
    // Checkout Pro lets a customer whose card is rejected pay again: a new payment id, the
    // same external_reference. Ranking statuses across the two payments kept the order
    // "rejected" (approved does not outrank rejected) while the customer had paid.
    payments.createOrder('ORDER-5101', 120000, 'COP', new Date());
    await paymentAt(5101, 'rejected', { external_reference: 'ORDER-5101' });
    const rejected = await notify(5101, 'payment.created');
    assert.equal(payments.get('ORDER-5101')?.status, 'rejected');
    assert.equal(rejected.stage('tag_crm')?.status, 'skipped');

    await paymentAt(5102, 'approved', { external_reference: 'ORDER-5101', payer: { email: 'Cliente.5101@Example.com' } });
    const paid = await notify(5102, 'payment.created');
    assert.equal(paid.event.status, 'succeeded', JSON.stringify(paid.event.lastError));
    assert.deepEqual(paid.stage('update_shop_payment')?.data, { outcome: 'updated', status: 'approved' });
    assert.deepEqual(
      [payments.get('ORDER-5101')?.status, payments.get('ORDER-5101')?.mercadopagoPaymentId],
      ['approved', '5102'],
      'the order is on the payment that paid it',
    );
    assert.equal(contacts('cliente.5101@example.com')[0]?.tagRequests, 1);

    // The rejected payment notified again later, and a second approved charge of the same order:
    // neither moves the order off the payment that paid it; the second charge is named.
    const late = await notify(5101);
    assert.deepEqual(late.stage('update_shop_payment')?.data, { outcome: 'other_payment', status: 'approved', orderPayment: '5102' });
    await paymentAt(5103, 'approved', { external_reference: 'ORDER-5101', payer: { email: 'Cliente.5101@Example.com' } });
    const twice = await notify(5103, 'payment.created');
    assert.deepEqual(twice.stage('update_shop_payment')?.data, { outcome: 'other_payment', status: 'approved', orderPayment: '5102' });
    assert.deepEqual([payments.get('ORDER-5101')?.status, payments.get('ORDER-5101')?.mercadopagoPaymentId], ['approved', '5102']);
    assert.equal(contacts('cliente.5101@example.com')[0]?.tagRequests, 1, 'tagged once');
  });

  it("the guide's example 2, MercadoPago's API down: retried, then processed once; down past the schedule: dead, retried by hand, once", async () => {
    await paymentAt(5201, 'approved');
    await sandboxPost('_faults', { service: 'mercadopago', operation: 'get_payment', mode: 'error', status: 500, count: 2 });
    const flaky = await notify(5201);
    assert.equal(flaky.event.status, 'succeeded', JSON.stringify(flaky.event.lastError));
    assert.equal(flaky.stage('fetch_payment')?.attempts, 3, 'two failed reads, then the one that worked');
    assert.deepEqual(
      flaky.stage('fetch_payment')?.history.map((a) => a.error?.retriable ?? null),
      [true, true, null],
    );
    assert.equal(payments.get('ORDER-5201')?.status, 'approved');
    assert.equal(contacts('cliente.5201@example.com')[0]?.tagRequests, 1);

    // Down for every attempt of the schedule (four): dead, nothing written or tagged; the
    // operator's retry ("Reintentar eventos seleccionados") then processes it, once.
    await paymentAt(5202, 'approved');
    await sandboxPost('_faults', { service: 'mercadopago', operation: 'get_payment', mode: 'error', status: 503, count: 4 });
    const down = await notify(5202);
    assert.equal(down.event.status, 'dead');
    assert.equal(down.event.attempts, 4);
    assert.equal(payments.get('ORDER-5202'), null);
    assert.equal(contacts('cliente.5202@example.com').length, 0);
    await retryEvent(engine.store, down.event.id, 'ops@example.com');
    const retried = await waitForEvent(engine.store, down.event.id);
    assert.equal(retried.status, 'succeeded', JSON.stringify(retried.lastError));
    assert.equal(payments.get('ORDER-5202')?.status, 'approved');
    assert.equal(contacts('cliente.5202@example.com')[0]?.tagRequests, 1);
  });

  it('a notification naming a payment MercadoPago does not know is dead at once, not retried (the guide: an invalid id)', async () => {
    const unknown = await notify(5299);
    assert.equal(unknown.event.status, 'dead');
    const fetch = unknown.stage('fetch_payment');
    assert.equal(fetch?.attempts, 1);
    assert.equal(fetch?.error?.retriable, false);
    assert.equal(fetch?.error?.httpStatus, 404);
  });

  it('a shop record never moves back: an older status read after a newer one is stale', () => {
    payments.applyPayment({
      orderReference: 'ORDER-X',
      mercadopagoPaymentId: '1',
      status: 'approved',
      amount: 1,
      currency: 'COP',
      payerEmail: null,
      now: new Date(),
    });
    const back = payments.applyPayment({
      orderReference: 'ORDER-X',
      mercadopagoPaymentId: '1',
      status: 'pending',
      amount: 1,
      currency: 'COP',
      payerEmail: null,
      now: new Date(),
    });
    assert.equal(back.outcome, 'stale');
    assert.equal(payments.get('ORDER-X')?.status, 'approved');
  });

  it('a notification that is not about a payment is ignored with the reason', async () => {
    const signed = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      dataId: 'MO-1',
      requestId: 'req-mo-1',
      body: { id: 1, type: 'topic_merchant_order_wh', action: 'updated', data: { id: 'MO-1' } },
    });
    const event = await waitForEvent(engine.store, (await deliver(engine, 'mercadopago-payments', signed)).id);
    assert.equal(event.status, 'ignored');
    assert.equal(event.ignoreReason?.kind, 'not_applicable');
    assert.match(event.ignoreReason?.detail ?? '', /not a payment notification/);
    assert.match(event.ignoreReason?.texts?.es ?? '', /no es una notificación de pago/);
  });
});

describe('the GoHighLevel sandbox speaks the real API', () => {
  let sandbox: SandboxApp;
  before(async () => (sandbox = await startSandboxApp({})));
  after(async () => sandbox.close());

  it('needs a Bearer token and the Version header; upserts by e-mail case-insensitively; tags are a set', async () => {
    const call = (url: string, payload: object, headers: Record<string, string> = { authorization: 'Bearer t', version: '2021-07-28' }) =>
      sandbox.app.inject({ method: 'POST', url: `/sandbox/gohighlevel${url}`, payload, headers });
    assert.equal((await call('/contacts/upsert', { locationId: 'l', email: 'a@b.co' }, {})).statusCode, 401);
    assert.equal((await call('/contacts/upsert', { locationId: 'l', email: 'a@b.co' }, { authorization: 'Bearer t' })).statusCode, 400);
    const created = await call('/contacts/upsert', { locationId: 'l', email: 'Ana@B.co', firstName: 'Ana' });
    assert.equal(created.statusCode, 201);
    const again = await call('/contacts/upsert', { locationId: 'l', email: 'ana@b.co' });
    assert.equal(again.statusCode, 200);
    const id = (created.json() as { contact: { id: string } }).contact.id;
    assert.equal((again.json() as { new: boolean; contact: { id: string } }).contact.id, id);
    await call(`/contacts/${id}/tags`, { tags: ['vip'] });
    const tags = await call(`/contacts/${id}/tags`, { tags: ['vip', 'pago-aprobado'] });
    assert.deepEqual((tags.json() as { tags: string[] }).tags, ['vip', 'pago-aprobado']);
    assert.equal((await call('/contacts/ghl-999/tags', { tags: ['x'] })).statusCode, 404);
    assert.equal((await call('/contacts/upsert', { locationId: 'l', email: 'not-an-email' })).statusCode, 400);
  });
});
