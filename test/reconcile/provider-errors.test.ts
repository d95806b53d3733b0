import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { startReconcileJob } from '../../src/engine/reconcile-job.js';
import { mercadopagoSearchList } from '../../src/sources/listing/mercadopago-search.js';
import { stripeEventList } from '../../src/sources/listing/stripe-events.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { baseUrlOf } from '../helpers/sandbox-app.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * What a provider's API can answer besides a page — a long Retry-After, a 200 that is not a
 * list, a refused key — said clearly, recorded in the run's state, and picked up by the next
 * run. A real HTTP server in front of the sandbox answers the canned replies queued for it,
 * then passes requests on to the sandbox.
 */
interface Canned {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

describe('reconciliation when the provider answers badly', () => {
  let store: SqliteStore;
  let rig: StripeRig;
  let front: Server;
  let frontUrl: string;
  const queue: Canned[] = [];
  let served = 0;

  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    rig = await startStripeRig(store);
    const sandboxOrigin = baseUrlOf(rig.sandbox.app);
    front = createServer((request, response) => {
      const canned = queue.shift();
      if (canned) {
        served++;
        response.writeHead(canned.status, { 'content-type': 'application/json', ...canned.headers });
        response.end(canned.body);
        return;
      }
      void fetch(`${sandboxOrigin}${request.url ?? '/'}`, { headers: { authorization: request.headers.authorization ?? '' } }).then(
        async (reply) => {
          response.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'application/json' });
          response.end(await reply.text());
        },
        () => response.destroy(),
      );
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => front?.close(resolve));
    await rig?.close();
    await store?.close();
  });
  const stripeList = () => stripeEventList({ apiBaseUrl: `${frontUrl}/sandbox/stripe`, apiKey: 'sk_test_front' });
  const since = () => new Date(Date.now() - 3_600_000);

  it('a Retry-After longer than a run waits stops the run at once, says so, and the next run resumes', { timeout: 15_000 }, async () => {
    const lost = String((await rig.lostPayment()).id);
    queue.push({ status: 429, body: '{"error":{"message":"Too many requests"}}', headers: { 'retry-after': '3600' } });
    const started = Date.now();
    await assert.rejects(reconcileSource({ store, source: 'stripe', list: stripeList(), since: since() }), {
      message: /asks to wait 3600 s \(Retry-After\).*the next run resumes/,
    });
    assert.ok(Date.now() - started < 5_000, `the run stopped in ${Date.now() - started} ms`);
    const stopped = await store.getReconciliationState('stripe');
    assert.match(stopped?.lastError ?? '', /429.*Retry-After/);
    assert.ok(stopped?.resume, 'where to resume is kept');
    assert.equal(await store.countEvents({ source: 'stripe' }), 0, 'nothing half-written');

    const next = await reconcileSource({ store, source: 'stripe', list: stripeList(), since: since() });
    assert.deepEqual(
      next.created.map((e) => e.providerEventId),
      [lost],
    );
    assert.equal((await store.getReconciliationState('stripe'))?.lastError, null);
  });

  it('a worker shutting down does not wait out a backoff', { timeout: 20_000 }, async () => {
    queue.push({ status: 429, body: '{"error":{"message":"Too many requests"}}', headers: { 'retry-after': '30' } });
    const servedBefore = served;
    // A source of its own: the runs above on `stripe` are recent, so the job would skip it.
    const job = startReconcileJob({
      store,
      settings: { 'stripe-shop': { every: '1h', lookBack: '1h', apiBaseUrl: `${frontUrl}/sandbox/stripe`, apiKey: 'sk_test_front' } },
      kinds: new Map([['stripe-shop', 'stripe']]),
      env: {},
      logger: pino({ level: 'silent' }),
      firstDelayMs: 0,
    });
    for (let waited = 0; served === servedBefore && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.equal(served, servedBefore + 1, 'the job met the 429');
    await new Promise((resolve) => setTimeout(resolve, 100)); // it is waiting its 30 s now
    const stopping = Date.now();
    await job.stop();
    assert.ok(Date.now() - stopping < 2_000, `stop() took ${Date.now() - stopping} ms`);
    assert.ok((await store.getReconciliationState('stripe-shop'))?.resume, 'the stopped run is resumed by the next');
  });

  it('a 200 answer that is not a list is an error, not an empty window; the next run finds the payments', async () => {
    const lostStripe = String((await rig.lostPayment()).id);
    queue.push({ status: 200, body: '{"object":"list"}' });
    await assert.rejects(reconcileSource({ store, source: 'stripe', list: stripeList(), since: since(), backoffMs: [] }), {
      message: 'Stripe: GET /v1/events answered something that is not a list of events',
    });
    assert.match((await store.getReconciliationState('stripe'))?.lastError ?? '', /not a list of events/);
    const stripeNext = await reconcileSource({ store, source: 'stripe', list: stripeList(), since: since() });
    assert.ok(stripeNext.created.some((e) => e.providerEventId === lostStripe));

    const make = await fetch(`${baseUrlOf(rig.sandbox.app)}/sandbox/mercadopago/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'approved', transaction_amount: 50_000, currency_id: 'COP' }),
    });
    const paymentId = String(((await make.json()) as { id: string }).id);
    const mercadopago = () => mercadopagoSearchList({ apiBaseUrl: `${frontUrl}/sandbox/mercadopago`, accessToken: 'APP_USR-front' });
    queue.push({ status: 200, body: '{"message":"maintenance"}' });
    await assert.rejects(reconcileSource({ store, source: 'mercadopago', list: mercadopago(), since: since(), backoffMs: [] }), {
      message: 'MercadoPago: GET /v1/payments/search answered without results and paging.total',
    });
    const state = await store.getReconciliationState('mercadopago');
    assert.match(state?.lastError ?? '', /without results/);
    assert.equal(state?.lastFinishedAt, null, 'the run is not recorded as finished');
    const mpNext = await reconcileSource({ store, source: 'mercadopago', list: mercadopago(), since: since() });
    assert.deepEqual(
      mpNext.created.map((e) => e.entityKey),
      [`payment:${paymentId}`],
    );
  });

  it("Stripe's report of undelivered events failing does not fail a run that listed its whole window", async () => {
    const lost = String((await rig.lostPayment()).id);
    const list = stripeList();
    // The window's pages pass; the undelivered listing after them meets a 429 with no retries left.
    const counted = {
      provider: list.provider,
      undelivered: list.undelivered!.bind(list),
      async page(from: Date, cursor: string | null) {
        const page = await list.page(from, cursor);
        if (page.nextCursor === null) queue.push({ status: 429, body: '{"error":{"message":"Too many requests"}}' });
        return page;
      },
    };
    const result = await reconcileSource({ store, source: 'stripe', list: counted, since: since(), backoffMs: [] });
    assert.deepEqual(
      result.created.map((e) => e.providerEventId),
      [lost],
    );
    assert.equal(result.undelivered, null);
    assert.match(result.undeliveredError ?? '', /429/);
    const state = await store.getReconciliationState('stripe');
    assert.equal(state?.lastError, null, 'the run ended well');
    assert.equal(state?.resume, null);
    assert.equal(state?.lastRecovered, 1);
    assert.equal(queue.length, 0, 'the undelivered listing met the 429');
  });

  it('a refused credential is not retried, and the message says which setting to check', async () => {
    const servedBefore = served;
    queue.push({
      status: 401,
      body: '{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****ront"}}',
    });
    await assert.rejects(reconcileSource({ store, source: 'stripe', list: stripeList(), since: since() }), (err: Error) => {
      assert.match(err.message, /answered 401: Invalid API Key provided: \[key\] \(check WEBPIG_STRIPE_API_KEY/);
      return true;
    });
    queue.push({ status: 401, body: '{"message":"invalid access token"}' });
    const mercadopago = mercadopagoSearchList({ apiBaseUrl: `${frontUrl}/sandbox/mercadopago`, accessToken: 'APP_USR-front' });
    await assert.rejects(reconcileSource({ store, source: 'mercadopago', list: mercadopago, since: since() }), {
      message: /answered 401 \(the access token was refused: check WEBPIG_MERCADOPAGO_ACCESS_TOKEN/,
    });
    assert.equal(served, servedBefore + 2, 'one request each: a 401 is not retried');
    queue.length = 0;
  });
});
