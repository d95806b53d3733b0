/**
 * The example shop's HTTP contract, which the orders pipeline's "once per order" rests on:
 * an Idempotency-Key replays the first reply and never repeats the effect, a reused key with a
 * different body is refused, stock never goes below zero, and bad input is a clear 400.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { startShop, type ShopApp } from '../helpers/stripe-order-events.js';

async function callShop(shop: ShopApp, method: string, path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  const response = await fetch(`${shop.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('stripe-orders shop service', () => {
  let shop: ShopApp;

  before(async () => {
    shop = await startShop();
  });

  after(async () => {
    await shop.close();
  });

  const call = (method: string, path: string, body?: unknown, key?: string) => callShop(shop, method, path, body, key);

  it('runs an effect once per Idempotency-Key, also for concurrent requests, and replays the reply', async () => {
    shop.backend.setStock('SKU-A', 10);
    const sale = { orderId: 'pi_1', reason: 'sale', lines: [{ sku: 'SKU-A', delta: -2 }] };
    const replies = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/sandbox/shop/stock/adjustments', sale, 'k-sale-1')));
    assert.deepEqual(
      replies.map((r) => r.status),
      [201, 201, 201, 201, 201],
    );
    assert.equal(replies.filter((r) => r.replayed === 'true').length, 4);
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1);
    assert.equal(shop.backend.stockOf('SKU-A'), 8);
    const listed = await call('GET', '/sandbox/shop/stock/adjustments?orderId=pi_1&reason=sale');
    assert.equal((listed.body.items as unknown[]).length, 1);
  });

  it('refuses a reused key with a different body, and a missing key, changing nothing', async () => {
    shop.backend.setStock('SKU-B', 5);
    await call('POST', '/sandbox/shop/stock/adjustments', { orderId: 'pi_2', reason: 'sale', lines: [{ sku: 'SKU-B', delta: -1 }] }, 'k-2');
    const reused = await call(
      'POST',
      '/sandbox/shop/stock/adjustments',
      { orderId: 'pi_2', reason: 'sale', lines: [{ sku: 'SKU-B', delta: -3 }] },
      'k-2',
    );
    assert.equal(reused.status, 422);
    assert.deepEqual(Object.keys(reused.body), ['error']);
    assert.equal((reused.body.error as { code: string }).code, 'IDEMPOTENCY_KEY_REUSED');
    const keyless = await call('POST', '/sandbox/shop/emails', { orderId: 'pi_2', to: 'a@example.com', template: 'x', data: {} });
    assert.equal(keyless.status, 400);
    assert.equal((keyless.body.error as { code: string }).code, 'IDEMPOTENCY_KEY_REQUIRED');
    assert.equal(shop.backend.stockOf('SKU-B'), 4);
    assert.equal(shop.backend.emails.length, 0);
  });

  it('never takes stock below zero: the shortfall is reported', async () => {
    shop.backend.setStock('SKU-C', 1);
    const reply = await call(
      'POST',
      '/sandbox/shop/stock/adjustments',
      { orderId: 'pi_3', reason: 'sale', lines: [{ sku: 'SKU-C', delta: -4 }] },
      'k-3',
    );
    assert.equal(reply.status, 201);
    assert.deepEqual(reply.body.lines, [{ sku: 'SKU-C', requested: -4, applied: -1, stockAfter: 0, shortfall: 3 }]);
    assert.equal(shop.backend.stockOf('SKU-C'), 0);
  });

  it('answers malformed input with 400 and a message naming the field', async () => {
    const bad = await call('POST', '/sandbox/shop/stock/adjustments', { orderId: 'pi_4', reason: 'steal', lines: [] }, 'k-4');
    assert.equal(bad.status, 400);
    const message = (bad.body.error as { message: string }).message;
    assert.match(message, /reason/);
    assert.match(message, /lines/);
    const order = await call('PUT', '/sandbox/shop/orders/pi_4', { state: 'paid' });
    assert.equal(order.status, 400);
    assert.match((order.body.error as { message: string }).message, /eventId/);
    assert.equal((await call('GET', '/sandbox/shop/orders/pi_none')).status, 404);
  });

  it('does not let an older event drag an order back', async () => {
    await call('PUT', '/sandbox/shop/orders/pi_5', { eventId: 'evt_b', state: 'paid', stateOccurredAt: 200 });
    const older = await call('PUT', '/sandbox/shop/orders/pi_5', { eventId: 'evt_a', state: 'processing', stateOccurredAt: 100 });
    assert.equal(older.body.stateApplied, false);
    assert.equal(shop.backend.getOrder('pi_5')?.state, 'paid');
  });

  it('"effect then fail": the effect happens, the reply is a 503, the retry gets the kept reply', async () => {
    const fault = await call('POST', '/sandbox/shop/faults', { operation: 'fulfil', mode: 'effect_then_fail' });
    assert.equal(fault.status, 201);
    const body = { orderId: 'pi_6', lines: [{ sku: 'SKU-A', quantity: 1 }], email: null };
    assert.equal((await call('POST', '/sandbox/shop/fulfilments', body, 'k-6')).status, 503);
    const retry = await call('POST', '/sandbox/shop/fulfilments', body, 'k-6');
    assert.equal(retry.status, 201);
    assert.equal(retry.replayed, 'true');
    assert.equal(shop.backend.fulfilments.filter((f) => f.orderId === 'pi_6').length, 1);
  });
});

describe('stripe-orders shop: its records live in the sandbox database', () => {
  it('keeps orders, stock, e-mails, kept replies and pending faults across a restart on the same file', async () => {
    const dir = tempDatabaseDir('webpig-shop-');
    const dbPath = join(dir.dir, 'webpig.db.sandbox.db');
    const sale = { orderId: 'pi_r', reason: 'sale', lines: [{ sku: 'SKU-R', delta: -2 }] };
    try {
      const first = await startShop({ dbPath });
      try {
        first.backend.setStock('SKU-R', 10);
        await callShop(first, 'PUT', '/sandbox/shop/orders/pi_r', {
          eventId: 'evt_r',
          state: 'paid',
          stateOccurredAt: 100,
          email: 'r@example.com',
        });
        assert.equal((await callShop(first, 'POST', '/sandbox/shop/stock/adjustments', sale, 'k-r')).status, 201);
        await callShop(
          first,
          'POST',
          '/sandbox/shop/emails',
          { orderId: 'pi_r', to: 'r@example.com', template: 'order_confirmation', data: {} },
          'k-r-mail',
        );
        await callShop(first, 'POST', '/sandbox/shop/faults', { operation: 'fulfil', mode: 'fail', count: 2 });
      } finally {
        await first.close();
      }

      const second = await startShop({ dbPath });
      try {
        assert.equal(second.backend.getOrder('pi_r')?.state, 'paid');
        assert.equal(second.backend.getOrder('pi_r')?.email, 'r@example.com');
        assert.equal(second.backend.stockOf('SKU-R'), 8);
        assert.equal(second.backend.emails.length, 1);
        // A stage resumed after the restart sends the same key: it gets the kept reply, no second sale.
        const again = await callShop(second, 'POST', '/sandbox/shop/stock/adjustments', sale, 'k-r');
        assert.equal(again.status, 201);
        assert.equal(again.replayed, 'true');
        assert.equal(second.backend.stockOf('SKU-R'), 8);
        assert.equal(second.backend.listAdjustments({ orderId: 'pi_r' }).length, 1);
        assert.deepEqual(second.backend.listFaults(), [{ operation: 'fulfil', mode: 'fail', remaining: 2 }]);
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
