/**
 * The PetGourmet report's scenarios, replayed: the checkout button, MercadoPago's return
 * redirect and its notifications race for one subscription. Whatever comes first and however
 * often, each story ends with exactly one row for (user, external reference), active once.
 * Real HTTP on 127.0.0.1 for the shop's endpoints, the sandbox's MercadoPago API and the
 * webhook route (signed notifications); a real SQLite store; the real worker.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { subscriptionReference } from '../../examples/subscriptions/activation.js';
import { MercadoPagoClient } from '../../examples/subscriptions/mercadopago-client.js';
import { subscriptionsPipeline } from '../../examples/subscriptions/pipeline.js';
import { SubscriptionStore, type SubscriptionRecord } from '../../examples/subscriptions/subscription-store.js';
import { subscriptionsWebPlugin } from '../../examples/subscriptions/web-plugin.js';
import { deliver, startEngine, waitForEvent, type EngineHarness } from '../helpers/example-pipelines.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

interface Reply {
  status: number;
  body: { subscription?: SubscriptionRecord | null; created?: boolean; outcome?: string; error?: { code: string; message: string } };
}

describe('subscriptions: one record per (user, external reference), activated once', () => {
  let sandbox: SandboxApp;
  let mercadopagoUrl: string;
  let subscriptions: SubscriptionStore;
  let appDb: { dir: string; remove: () => void };
  let web: FastifyInstance;
  let webUrl: string;
  let engine: EngineHarness;
  let failures = 0;
  let notificationSeq = 1000;

  async function startWeb(store: SubscriptionStore): Promise<FastifyInstance> {
    const app = Fastify({ logger: false });
    await app.register(subscriptionsWebPlugin, { subscriptions: store, mercadopago: new MercadoPagoClient({ baseUrl: mercadopagoUrl }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app;
  }

  before(async () => {
    sandbox = await startSandboxApp({ listen: true });
    mercadopagoUrl = `${baseUrlOf(sandbox.app)}/sandbox/mercadopago`;
    // The application's own database: its own file, apart from webpig's store.
    appDb = tempDatabaseDir('petgourmet-');
    subscriptions = new SubscriptionStore(join(appDb.dir, 'petgourmet.db'));
    engine = await startEngine({
      sources: [{ name: 'mercadopago', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      pipelines: [subscriptionsPipeline({ subscriptions, mercadopagoApiUrl: mercadopagoUrl })],
    });
    web = await startWeb(subscriptions);
    webUrl = baseUrlOf(web);
  });

  after(async () => {
    await web.close();
    subscriptions.close();
    await engine.close({ keep: failures > 0 });
    if (failures === 0) appDb.remove();
    await sandbox.close();
  });

  async function post(url: string, body: unknown): Promise<Reply> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Reply['body'] };
  }

  async function get(url: string): Promise<Reply> {
    const response = await fetch(url);
    return { status: response.status, body: (await response.json()) as Reply['body'] };
  }

  const checkout = (userId: string, planId = 'plan-mensual', base = webUrl) =>
    post(`${base}/shop/subscriptions/checkout`, { userId, planId });

  /** MercadoPago's side: the preapproval the customer authorised (or not) at MercadoPago. */
  async function preapprovalAtMercadoPago(id: string, userId: string, status: string, planId = 'plan-mensual') {
    const reply = await post(`${baseUrlOf(sandbox.app)}/sandbox/mercadopago/preapprovals`, {
      id,
      status,
      external_reference: subscriptionReference(userId, planId),
      payer_email: `${userId}@example.com`,
    });
    assert.ok(reply.status === 201 || reply.status === 200, `sandbox answered ${reply.status}`);
  }

  function returnUrl(params: Record<string, string>): string {
    return `${webUrl}/shop/subscriptions/return?${new URLSearchParams(params).toString()}`;
  }

  function signedNotification(preapprovalId: string, notificationId = notificationSeq++, type = 'subscription_preapproval') {
    return signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      dataId: preapprovalId,
      requestId: `req-${notificationId}`,
      body: {
        id: notificationId,
        live_mode: false,
        type,
        action: 'updated',
        date_created: new Date().toISOString(),
        data: { id: preapprovalId },
      },
    });
  }

  /** Delivers a notification through the adapter and waits for the worker; returns the outcome. */
  async function notify(dataId: string, expectedFetchAttempts = 1, type = 'subscription_preapproval'): Promise<string | undefined> {
    const stored = await deliver(engine, 'mercadopago', signedNotification(dataId, notificationSeq++, type));
    const event = await waitForEvent(engine.store, stored.id);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    const checkpoints = await engine.store.getCheckpoints(event.id);
    assert.equal(checkpoints.find((c) => c.stage === 'fetch_mercadopago')?.attempts, expectedFetchAttempts);
    const data = checkpoints.find((c) => c.stage === 'activate_subscription')?.data as { outcome?: string } | null | undefined;
    return data?.outcome;
  }

  function exactlyOneActive(userId: string): SubscriptionRecord {
    const rows = subscriptions.list({ userId });
    assert.equal(rows.length, 1, `user ${userId} has ${rows.length} subscription rows`);
    const [row] = rows as [SubscriptionRecord];
    assert.equal(row.status, 'active');
    assert.ok(row.activatedAt && row.activatedBy, 'activation recorded with its channel');
    return row;
  }

  it('double click and two tabs (two server processes on one database) give one record', async () => {
    failures++;
    const otherTab = new SubscriptionStore(join(appDb.dir, 'petgourmet.db'));
    const otherServer = await startWeb(otherTab);
    try {
      const replies = await Promise.all([
        ...Array.from({ length: 5 }, () => checkout('user-double')),
        ...Array.from({ length: 3 }, () => checkout('user-double', 'plan-mensual', baseUrlOf(otherServer))),
      ]);
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
      const ids = new Set(replies.map((r) => r.body.subscription?.id));
      assert.equal(ids.size, 1, 'every click got the same record');
      assert.equal(replies[0]?.body.subscription?.externalReference, subscriptionReference('user-double', 'plan-mensual'));
    } finally {
      await otherServer.close();
      otherTab.close();
    }
    await preapprovalAtMercadoPago('pre-double', 'user-double', 'authorized');
    assert.equal(await notify('pre-double'), 'activated');
    assert.equal(exactlyOneActive('user-double').mercadopagoPreapprovalId, 'pre-double');
    failures--;
  });

  it('redirect first: the redirect activates, the webhook is a no-op that says already_active', async () => {
    failures++;
    await checkout('user-redirect');
    await preapprovalAtMercadoPago('pre-redirect', 'user-redirect', 'authorized');
    const back = await get(
      returnUrl({
        status: 'approved',
        preapproval_id: 'pre-redirect',
        external_reference: subscriptionReference('user-redirect', 'plan-mensual'),
      }),
    );
    assert.equal(back.status, 200);
    assert.equal(back.body.outcome, 'activated');
    assert.equal(await notify('pre-redirect'), 'already_active');
    const row = exactlyOneActive('user-redirect');
    assert.equal(row.activatedBy, 'redirect');
    assert.equal(row.mercadopagoPreapprovalId, 'pre-redirect');
    failures--;
  });

  it('webhook first (after one failed API read): the webhook activates, the redirect says already_active', async () => {
    failures++;
    await checkout('user-webhook');
    await preapprovalAtMercadoPago('pre-webhook', 'user-webhook', 'authorized');
    const fault = await post(`${baseUrlOf(sandbox.app)}/sandbox/_faults`, {
      service: 'mercadopago',
      operation: 'get_preapproval',
      mode: 'error',
      count: 1,
      status: 500,
    });
    assert.equal(fault.status, 201);
    assert.equal(await notify('pre-webhook', 2), 'activated', 'activated on the retry after the failed read');
    const back = await get(
      returnUrl({
        status: 'approved',
        preapproval_id: 'pre-webhook',
        external_reference: subscriptionReference('user-webhook', 'plan-mensual'),
      }),
    );
    assert.equal(back.status, 200);
    assert.equal(back.body.outcome, 'already_active');
    assert.equal(exactlyOneActive('user-webhook').activatedBy, 'webhook');
    failures--;
  });

  it('redirect and webhook at the same moment: exactly one of them activates', async () => {
    failures++;
    for (let i = 0; i < 5; i++) {
      const user = `user-race-${i}`;
      await checkout(user);
      await preapprovalAtMercadoPago(`pre-race-${i}`, user, 'authorized');
      const [back, webhookOutcome] = await Promise.all([
        get(
          returnUrl({
            status: 'approved',
            preapproval_id: `pre-race-${i}`,
            external_reference: subscriptionReference(user, 'plan-mensual'),
          }),
        ),
        notify(`pre-race-${i}`),
      ]);
      assert.deepEqual([back.body.outcome, webhookOutcome].sort(), ['activated', 'already_active'], `race ${i}`);
      exactlyOneActive(user);
    }
    failures--;
  });

  it('a notification that comes before the checkout record still ends with one record', async () => {
    failures++;
    await preapprovalAtMercadoPago('pre-early', 'user-early', 'authorized');
    assert.equal(await notify('pre-early'), 'activated');
    const late = await checkout('user-early');
    assert.equal(late.status, 200);
    assert.equal(late.body.created, false);
    assert.equal(late.body.subscription?.status, 'active');
    assert.equal(exactlyOneActive('user-early').createdBy, 'webhook');
    failures--;
  });

  it('duplicate notifications: a redelivery is stored once, a second notification is already_active', async () => {
    failures++;
    await checkout('user-dupes');
    await preapprovalAtMercadoPago('pre-dupes', 'user-dupes', 'authorized');
    const signed = signedNotification('pre-dupes');
    const stored = await Promise.all([1, 2, 3].map(() => deliver(engine, 'mercadopago', signed)));
    assert.deepEqual(stored.map((s) => s.duplicate).sort(), [false, true, true]);
    await waitForEvent(engine.store, stored[0]!.id);
    const outcomes = await Promise.all([notify('pre-dupes'), notify('pre-dupes')]);
    assert.deepEqual(outcomes, ['already_active', 'already_active']);
    const events = await engine.store.countEvents({ source: 'mercadopago', entityKey: 'subscription_preapproval:pre-dupes' });
    assert.equal(events, 3, 'one event for the redelivered notification, one per distinct notification');
    exactlyOneActive('user-dupes');
    failures--;
  });

  it('a redirect with missing parameters is a clear 400 that changes nothing; the webhook still activates', async () => {
    failures++;
    await checkout('user-missing');
    await preapprovalAtMercadoPago('pre-missing', 'user-missing', 'authorized');
    const partial = await get(returnUrl({ status: 'approved' }));
    assert.equal(partial.status, 400);
    assert.equal(partial.body.error?.code, 'RETURN_PARAMS_MISSING');
    assert.match(partial.body.error?.message ?? '', /lacks preapproval_id, external_reference; nothing was activated/);
    const none = await get(`${webUrl}/shop/subscriptions/return`);
    assert.equal(none.status, 400);
    assert.match(none.body.error?.message ?? '', /lacks status, preapproval_id, external_reference/);
    assert.equal(subscriptions.list({ userId: 'user-missing' })[0]?.status, 'pending', 'nothing changed');
    assert.equal(await notify('pre-missing'), 'activated');
    exactlyOneActive('user-missing');
    failures--;
  });

  it('does not trust status=approved in a URL: MercadoPago says pending, a foreign reference, or is down', async () => {
    failures++;
    await checkout('user-forged');
    await preapprovalAtMercadoPago('pre-forged', 'user-forged', 'pending');
    const reference = subscriptionReference('user-forged', 'plan-mensual');
    const forged = await get(returnUrl({ status: 'approved', preapproval_id: 'pre-forged', external_reference: reference }));
    assert.equal(forged.status, 202);
    assert.equal(forged.body.outcome, 'still_pending');
    const foreign = await get(returnUrl({ status: 'approved', preapproval_id: 'pre-redirect', external_reference: reference }));
    assert.equal(foreign.status, 409);
    assert.equal(foreign.body.error?.code, 'REFERENCE_MISMATCH');
    await post(`${baseUrlOf(sandbox.app)}/sandbox/_faults`, {
      service: 'mercadopago',
      operation: 'get_preapproval',
      mode: 'error',
      count: 1,
      status: 503,
    });
    const down = await get(returnUrl({ status: 'approved', preapproval_id: 'pre-forged', external_reference: reference }));
    assert.equal(down.status, 502);
    assert.equal(down.body.error?.code, 'MERCADOPAGO_UNAVAILABLE');
    const rows = subscriptions.list({ userId: 'user-forged' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'pending', 'not activated on the word of a URL');
    failures--;
  });

  it('payment notifications: a charge naming its preapproval, a charge known by reference, a foreign charge', async () => {
    failures++;
    const sandboxUrl = baseUrlOf(sandbox.app);
    await checkout('user-paid');
    await preapprovalAtMercadoPago('pre-paid', 'user-paid', 'authorized');
    await post(`${sandboxUrl}/sandbox/mercadopago/payments`, {
      id: 7001,
      status: 'approved',
      external_reference: subscriptionReference('user-paid', 'plan-mensual'),
      metadata: { preapproval_id: 'pre-paid' },
    });
    assert.equal(await notify('7001', 1, 'payment'), 'activated');
    assert.equal(await notify('pre-paid'), 'already_active');
    const row = exactlyOneActive('user-paid');
    assert.equal(row.mercadopagoPreapprovalId, 'pre-paid');
    assert.equal(row.lastPaymentId, '7001');

    await checkout('user-charge');
    await post(`${sandboxUrl}/sandbox/mercadopago/payments`, {
      id: 7002,
      status: 'approved',
      external_reference: subscriptionReference('user-charge', 'plan-mensual'),
    });
    assert.equal(await notify('7002', 1, 'payment'), 'activated');
    assert.equal(exactlyOneActive('user-charge').lastPaymentId, '7002');

    const rowsBefore = subscriptions.list().length;
    await post(`${sandboxUrl}/sandbox/mercadopago/payments`, { id: 7003, status: 'approved', external_reference: 'ORDER-123' });
    const stored = await deliver(engine, 'mercadopago', signedNotification('7003', notificationSeq++, 'payment'));
    const event = await waitForEvent(engine.store, stored.id);
    assert.equal(event.status, 'succeeded');
    const skipped = (await engine.store.getCheckpoints(event.id)).find((c) => c.stage === 'activate_subscription');
    assert.equal(skipped?.status, 'skipped');
    assert.deepEqual(skipped?.skipReason, { kind: 'condition', detail: 'payment 7003 is not a subscription of this shop' });
    assert.equal(subscriptions.list().length, rowsBefore, 'a foreign payment creates no subscription');
    failures--;
  });

  it('cancel, then subscribe again: a new subscription (next reference), activated once; the cancelled one stays', async () => {
    failures++;
    const user = 'user-again';
    const first = await checkout(user);
    await preapprovalAtMercadoPago('pre-again-1', user, 'authorized');
    assert.equal(await notify('pre-again-1'), 'activated');
    await preapprovalAtMercadoPago('pre-again-1', user, 'cancelled');
    assert.equal(await notify('pre-again-1'), 'cancelled');

    const again = await checkout(user);
    assert.equal(again.status, 201, 'a cancelled subscription is final: checking out again opens a new one');
    const reference = subscriptionReference(user, 'plan-mensual', 2);
    assert.equal(again.body.subscription?.externalReference, reference);
    assert.notEqual(again.body.subscription?.id, first.body.subscription?.id);
    await post(`${baseUrlOf(sandbox.app)}/sandbox/mercadopago/preapprovals`, {
      id: 'pre-again-2',
      status: 'authorized',
      external_reference: reference,
    });
    const back = await get(returnUrl({ status: 'approved', preapproval_id: 'pre-again-2', external_reference: reference }));
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.outcome, 'activated');
    assert.equal(await notify('pre-again-2'), 'already_active', 'the webhook does not activate it a second time');
    assert.equal((await checkout(user)).status, 200, 'a third click lands on the open subscription');

    const rows = subscriptions.list({ userId: user });
    assert.deepEqual(
      rows.map((r) => [r.externalReference, r.status, r.mercadopagoPreapprovalId]),
      [
        [subscriptionReference(user, 'plan-mensual'), 'cancelled', 'pre-again-1'],
        [reference, 'active', 'pre-again-2'],
      ],
    );
    failures--;
  });

  it('subscribing again under the old reference (a checkout of before) is activated on a new row, never refused', async () => {
    failures++;
    const user = 'user-again-old';
    await checkout(user);
    await preapprovalAtMercadoPago('pre-old-1', user, 'authorized');
    assert.equal(await notify('pre-old-1'), 'activated');
    await preapprovalAtMercadoPago('pre-old-1', user, 'cancelled');
    assert.equal(await notify('pre-old-1'), 'cancelled');
    // The customer pays again; the new preapproval carries the first subscription's reference.
    await preapprovalAtMercadoPago('pre-old-2', user, 'authorized');
    assert.equal(await notify('pre-old-2'), 'activated', 'was PREAPPROVAL_MISMATCH and a dead event');
    const rows = subscriptions.list({ userId: user });
    assert.deepEqual(
      rows.map((r) => [r.status, r.mercadopagoPreapprovalId]),
      [
        ['cancelled', 'pre-old-1'],
        ['active', 'pre-old-2'],
      ],
    );
    assert.equal(rows[1]?.externalReference, subscriptionReference(user, 'plan-mensual', 2));
    const redirect = await get(
      returnUrl({ status: 'approved', preapproval_id: 'pre-old-2', external_reference: subscriptionReference(user, 'plan-mensual') }),
    );
    assert.equal(redirect.body.outcome, 'already_active', 'the redirect finds the same new row');
    failures--;
  });

  it('rejects a checkout with a bad body, creating nothing', async () => {
    failures++;
    const before = subscriptions.list().length;
    const bad = await post(`${webUrl}/shop/subscriptions/checkout`, { userId: 'a:b', planId: '' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'INVALID_REQUEST');
    assert.match(bad.body.error?.message ?? '', /userId/);
    assert.equal(subscriptions.list().length, before);
    failures--;
  });
});
