/**
 * The PetGourmet report (seeds/subscriptions-duplicates-report.md) through the webhook pipeline
 * as it runs, not through its functions: a row the webhook creates is complete from what
 * MercadoPago says (the report's 4.2.3, "suscripción con datos incompletos"), and a person can
 * see, on the event's summary and with `webpig events show`, which subscription each
 * notification touched, for which plan, and that one activated it while the other found it
 * active. Real HTTP (the shop's checkout, the sandbox's MercadoPago API, signed notifications
 * into the webhook route), the real worker, a real SQLite store read by the CLI in a child process.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { subscriptionReference } from '../../examples/subscriptions/activation.js';
import { MercadoPagoClient } from '../../examples/subscriptions/mercadopago-client.js';
import { subscriptionsPipeline } from '../../examples/subscriptions/pipeline.js';
import { SubscriptionStore } from '../../examples/subscriptions/subscription-store.js';
import { subscriptionsWebPlugin } from '../../examples/subscriptions/web-plugin.js';
import type { EventRecord } from '../../src/core/types.js';
import { runCli } from '../helpers/cli.js';
import { deliver, startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const PLAN = {
  reason: 'Plan mensual PetGourmet',
  auto_recurring: { transaction_amount: 39900, currency_id: 'COP' },
  next_payment_date: '2026-04-01T10:00:00.000-05:00',
};

describe('subscriptions: what the webhook pipeline writes, and what a person sees of it', () => {
  let sandbox: SandboxApp;
  let subscriptions: SubscriptionStore;
  let appDb: { dir: string; remove: () => void };
  let web: FastifyInstance;
  let engine: EngineHarness;
  let failures = 0;
  let notificationSeq = 5000;

  before(async () => {
    sandbox = await startSandboxApp({ listen: true });
    const mercadopagoUrl = `${baseUrlOf(sandbox.app)}/sandbox/mercadopago`;
    appDb = tempDatabaseDir('petgourmet-visible-');
    subscriptions = new SubscriptionStore(join(appDb.dir, 'petgourmet.db'));
    engine = await startEngine({
      sources: [{ name: 'mercadopago', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      pipelines: [subscriptionsPipeline({ subscriptions, mercadopagoApiUrl: mercadopagoUrl })],
    });
    web = Fastify({ logger: false });
    await web.register(subscriptionsWebPlugin, { subscriptions, mercadopago: new MercadoPagoClient({ baseUrl: mercadopagoUrl }) });
    await web.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await web.close();
    subscriptions.close();
    await engine.close({ keep: failures > 0 });
    if (failures === 0) appDb.remove();
    await sandbox.close();
  });

  async function postJson(url: string, body: unknown): Promise<number> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await response.arrayBuffer();
    return response.status;
  }

  /** The preapproval the customer authorised at MercadoPago, with the plan's name, amount and next charge. */
  async function authorizedAtMercadoPago(id: string, userId: string): Promise<void> {
    const status = await postJson(`${baseUrlOf(sandbox.app)}/sandbox/mercadopago/preapprovals`, {
      id,
      status: 'authorized',
      external_reference: subscriptionReference(userId, 'plan-mensual'),
      payer_email: `${userId}@example.com`,
      ...PLAN,
    });
    assert.ok(status === 201 || status === 200, `sandbox answered ${status}`);
  }

  /** One distinct MercadoPago notification about the preapproval, delivered and processed. */
  async function notify(preapprovalId: string): Promise<EventRecord> {
    const id = notificationSeq++;
    const signed = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      dataId: preapprovalId,
      requestId: `req-visible-${id}`,
      body: {
        id,
        live_mode: false,
        type: 'subscription_preapproval',
        action: 'updated',
        date_created: new Date().toISOString(),
        data: { id: preapprovalId },
      },
    });
    const stored = await deliver(engine, 'mercadopago', signed);
    const event = await waitForEvent(engine.store, stored.id);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    return event;
  }

  it('a row the webhook creates first is complete from MercadoPago alone: plan name, price, next charge, payer', async () => {
    failures++;
    await authorizedAtMercadoPago('pre-vis-first', 'user-vis-first');
    await notify('pre-vis-first');
    const rows = subscriptions.list({ userId: 'user-vis-first' });
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0]?.status, rows[0]?.createdBy, rows[0]?.productName, rows[0]?.basePrice, rows[0]?.nextBillingDate, rows[0]?.payerEmail],
      ['active', 'webhook', PLAN.reason, '39900', PLAN.next_payment_date, 'user-vis-first@example.com'],
    );
    failures--;
  });

  it('double click, two notifications: the events name the one subscription and its plan, one "activated", the other "already_active"', async () => {
    failures++;
    const checkout = `${baseUrlOf(web)}/shop/subscriptions/checkout`;
    const clicks = await Promise.all([1, 2].map(() => postJson(checkout, { userId: 'user-vis', planId: 'plan-mensual' })));
    assert.deepEqual(clicks.sort(), [200, 201], 'the second click finds the row the first made');
    await authorizedAtMercadoPago('pre-vis', 'user-vis');
    const events = [await notify('pre-vis'), await notify('pre-vis')];

    const rows = subscriptions.list({ userId: 'user-vis' });
    assert.equal(rows.length, 1, 'one row for the two clicks and the two notifications');
    const rowId = String(rows[0]?.id);
    for (const event of events) {
      assert.equal(event.summary.references?.subscription, rowId, `event ${event.id} names the subscription`);
      assert.deepEqual(event.summary.product, { id: 'plan-mensual', name: PLAN.reason, price: 39900 });
      assert.equal(event.summary.customer?.email, 'user-vis@example.com');
    }
    assert.deepEqual(
      events.map((e) => e.summary.references?.activation),
      ['activated', 'already_active'],
    );

    // What a person reads with the CLI, from another process on the same database.
    const db = `sqlite:${join(engine.dir, 'webpig.db')}`;
    const shown = events.map((event) => runCli(['--db', db, 'events', 'show', String(event.id)]));
    for (const [i, result] of shown.entries()) {
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`subscription=${rowId}\\b`));
      assert.match(result.stdout, /product Plan mensual PetGourmet \(plan-mensual\)/);
      assert.match(result.stdout, new RegExp(`activation=${i === 0 ? 'activated' : 'already_active'}\\b`));
    }
    failures--;
  });
});
