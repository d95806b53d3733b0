/**
 * `webpig demo` with the reference pipelines of the examples: run in-process on a free port with
 * fast sample traffic, the ePayco (Facturador), Stripe (orders shop) and MercadoPago
 * (subscriptions) stories all reach a final status, and the promises hold in the examples' own
 * applications despite the traffic's shuffles and duplicates: one fulfilment per paid order,
 * one subscription record per (user, reference), activated once. Real HTTP on 127.0.0.1, a real
 * SQLite file, the real worker.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { EventRecord, EventStatus } from '../../src/core/types.js';
import { runDemo, type RunningDemo } from '../../src/demo/run-demo.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const BUSY: EventStatus[] = ['queued', 'processing', 'retrying'];

async function allEvents(store: Store, source: string): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listEvents({ source }, { cursor, limit: 500 });
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** Polls until `done` holds; the limit only stops a broken test from hanging. */
async function waitUntil(what: string, done: () => Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

const countBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

describe('webpig demo: the reference pipelines of the examples', () => {
  const dir = tempDatabaseDir('webpig-demo-examples-');
  let failures = 0;
  after(() => {
    if (failures === 0) dir.remove();
    else console.error(`kept the failed demo's files in ${dir.dir}`);
  });

  it('ePayco, Stripe orders and MercadoPago subscriptions traffic all end well, once per order and subscription', async () => {
    failures++;
    const dbFile = join(dir.dir, 'demo.db');
    const printed: string[] = [];
    const demo: RunningDemo = await runDemo({
      port: 0,
      host: '127.0.0.1',
      dbFile,
      traffic: true,
      trafficIntervalMs: 150,
      exampleTrafficIntervalMs: 100,
      subscriptionEvery: 2,
      // The demo's own printed secrets, whatever WEBPIG_* variables the test runner has.
      env: { WEBPIG_LOG_LEVEL: 'error' },
      print: (line) => printed.push(line),
    });
    const store = await openStore(`sqlite:${dbFile}`);
    try {
      assert.match(printed.join('\n'), /Examples: .*\/sandbox\/shop\/orders .*\/shop\/subscriptions/);

      const succeeded = (source: string) => store.countEvents({ source, status: 'succeeded' });
      await waitUntil(
        'events of all three sources succeeded',
        async () =>
          (await succeeded('epayco')) >= 2 &&
          (await succeeded('stripe')) >= 12 &&
          (await succeeded('mercadopago')) >= 3 &&
          demo.subscriptions.list().filter((r) => r.status === 'active').length >= 3,
        40_000,
      );
      await demo.stopTraffic();
      // Each source's events read at a moment none is in flight: a late event (a delayed
      // duplicate, one found by the demo's reconciliation) may still arrive after it.
      const finishedEvents = async (source: string) => {
        let events: Awaited<ReturnType<typeof allEvents>> = [];
        await waitUntil(
          `${source} events finished`,
          async () => {
            events = await allEvents(store, source);
            return events.every((e) => !BUSY.includes(e.status));
          },
          15_000,
        );
        return events;
      };

      // Stripe: shuffled and duplicated deliveries end succeeded, or ignored (a stale move).
      const stripeEvents = await finishedEvents('stripe');
      const stripeStatuses = countBy(stripeEvents, (e) => e.status);
      assert.deepEqual(
        [...stripeStatuses.keys()].filter((s) => s !== 'succeeded' && s !== 'ignored'),
        [],
        JSON.stringify([...stripeStatuses]),
      );
      assert.ok(
        stripeEvents.every((e) => e.pipeline === null || e.pipeline === 'stripe-orders'),
        'stripe events go to the orders pipeline',
      );

      // The shop: exactly one fulfilment per paid order, never one for an unpaid order.
      const { items: orders } = await getJson<{ items: { id: string; state: string | null }[] }>(`${demo.url}/sandbox/shop/orders`);
      const { items: fulfilments } = await getJson<{ items: { orderId: string }[] }>(`${demo.url}/sandbox/shop/fulfilments`);
      const { items: stock } = await getJson<{ items: { sku: string; quantity: number }[] }>(`${demo.url}/sandbox/shop/stock`);
      const fulfilled = countBy(fulfilments, (f) => f.orderId);
      const paid = orders.filter((o) => o.state === 'paid');
      assert.ok(paid.length >= 1, `some orders are paid: ${JSON.stringify(orders.map((o) => o.state))}`);
      for (const order of paid) assert.equal(fulfilled.get(order.id), 1, `paid order ${order.id} has one fulfilment`);
      for (const [orderId, count] of fulfilled) assert.equal(count, 1, `order ${orderId} fulfilled ${count} times`);
      assert.equal(fulfilments.length, fulfilled.size);
      assert.ok(
        stock.every((s) => s.quantity >= 0),
        `stock never below zero: ${JSON.stringify(stock)}`,
      );

      // Subscriptions: every notification succeeded; one row per (user, reference), one per user.
      const notifications = await finishedEvents('mercadopago');
      assert.ok(
        notifications.every((e) => e.status === 'succeeded'),
        JSON.stringify(notifications.map((e) => [e.id, e.status, e.lastError])),
      );
      const rows = demo.subscriptions.list();
      assert.ok(rows.length >= 3, `${rows.length} subscription rows`);
      for (const [key, count] of countBy(rows, (r) => `${r.userId}|${r.externalReference}`))
        assert.equal(count, 1, `${key} has ${count} rows`);
      for (const [user, count] of countBy(rows, (r) => r.userId)) assert.equal(count, 1, `${user} has ${count} rows`);
      // Activated once: as many "activated" outcomes among the notifications as rows the webhook activated.
      const checkpoints = await store.getCheckpointsForEvents(notifications.map((e) => e.id));
      const outcomes = notifications.map((e) => {
        const data = checkpoints.get(e.id)?.find((c) => c.stage === 'activate_subscription')?.data as
          { outcome?: string } | null | undefined;
        return data?.outcome ?? 'none';
      });
      assert.ok(
        outcomes.every((o) => o === 'activated' || o === 'already_active'),
        JSON.stringify(outcomes),
      );
      assert.equal(outcomes.filter((o) => o === 'activated').length, rows.filter((r) => r.activatedBy === 'webhook').length);
      const withPreapproval = rows.filter((r) => r.mercadopagoPreapprovalId !== null);
      assert.ok(withPreapproval.length >= 3, `${withPreapproval.length} subscriptions have a preapproval`);
      assert.ok(
        withPreapproval.every((r) => r.status === 'active' && r.activatedAt !== null),
        JSON.stringify(withPreapproval),
      );
      // Complete rows (the report's product_name, base_price, next_billing_date), and each
      // notification's event names, for a person, its subscription row, its plan and what it did.
      assert.ok(
        withPreapproval.every((r) => r.productName !== null && r.basePrice !== null && r.nextBillingDate !== null),
        JSON.stringify(withPreapproval),
      );
      for (const [i, e] of notifications.entries()) {
        const row = rows.find((r) => String(r.id) === e.summary.references?.subscription);
        assert.ok(row, `event ${e.id} names no subscription row: ${JSON.stringify(e.summary)}`);
        assert.equal(e.summary.product?.id, row.planId);
        assert.equal(e.summary.product?.name, row.productName);
        assert.equal(e.summary.references?.activation, outcomes[i]);
      }

      // Facturador's ePayco traffic goes on beside them.
      assert.ok((await succeeded('epayco')) >= 2);
    } finally {
      await store.close();
      await demo.stop();
    }
    // Stopped: nothing listens any more, and stopping again is harmless.
    await assert.rejects(fetch(`${demo.url}/healthz`));
    await demo.stop();
    failures--;
  });
});
