/**
 * The subscriptions report's other asks: complete rows (product_name, base_price, cart_items,
 * next_billing_date, payer_email), filled by the checkout and by MercadoPago and never erased;
 * a database of the earlier example upgraded in place; and a clean-up of the duplicates the old
 * code already left (dry run first, a backup, the most complete row kept, conflicts left alone).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { applyPreapproval, subscriptionReference } from '../../examples/subscriptions/activation.js';
import { cleanUpDuplicates } from '../../examples/subscriptions/cleanup-duplicates.js';
import { MercadoPagoClient, type Preapproval } from '../../examples/subscriptions/mercadopago-client.js';
import { SubscriptionStore } from '../../examples/subscriptions/subscription-store.js';
import { subscriptionsWebPlugin } from '../../examples/subscriptions/web-plugin.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const now = new Date('2026-03-01T10:00:00Z');

describe('subscriptions: complete rows', () => {
  let dir: { dir: string; remove: () => void };
  let store: SubscriptionStore;
  beforeEach(() => {
    dir = tempDatabaseDir('subscriptions-rows-');
    store = new SubscriptionStore(join(dir.dir, 'app.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  const preapproval = (id: string, user: string, extra: Partial<Preapproval> = {}): Preapproval => ({
    id,
    status: 'authorized',
    external_reference: subscriptionReference(user, 'plan-mensual'),
    payer_email: `${user}@example.com`,
    reason: 'Plan mensual PetGourmet',
    auto_recurring: { transaction_amount: 39900, currency_id: 'COP' },
    next_payment_date: '2026-04-01T10:00:00.000-05:00',
    ...extra,
  });

  it('the checkout keeps what is bought; MercadoPago adds the next charge and never erases it', async () => {
    const app = Fastify({ logger: false });
    await app.register(subscriptionsWebPlugin, {
      subscriptions: store,
      mercadopago: new MercadoPagoClient({ baseUrl: 'http://127.0.0.1:9' }),
    });
    const cart = [{ id: 'plan-mensual', name: 'Plan mensual', price: 45000, quantity: 1 }];
    const reply = await app.inject({
      method: 'POST',
      url: '/shop/subscriptions/checkout',
      payload: {
        userId: 'u-full',
        planId: 'plan-mensual',
        productName: 'Plan mensual',
        basePrice: 45000,
        cartItems: cart,
        payerEmail: 'ana@example.com',
      },
    });
    assert.equal(reply.statusCode, 201, reply.body);
    const bad = await app.inject({
      method: 'POST',
      url: '/shop/subscriptions/checkout',
      payload: { userId: 'u-bad', planId: 'p', basePrice: -1 },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /basePrice/);
    assert.equal(store.list({ userId: 'u-bad' }).length, 0, 'a refused checkout writes nothing');
    await app.close();

    applyPreapproval(store, preapproval('pre-full', 'u-full', { payer_email: 'other@example.com' }), { via: 'webhook', now });
    let [row] = store.list({ userId: 'u-full' });
    assert.deepEqual(
      [row?.productName, row?.basePrice, row?.cartItems, row?.payerEmail, row?.nextBillingDate, row?.status],
      ['Plan mensual', '45000', cart, 'ana@example.com', '2026-04-01T10:00:00.000-05:00', 'active'],
      "the checkout's own data wins; MercadoPago adds the next charge",
    );
    // The next month's notification moves the next charge forward; a reply without it erases nothing.
    applyPreapproval(store, preapproval('pre-full', 'u-full', { next_payment_date: '2026-05-01T10:00:00.000-05:00' }), {
      via: 'webhook',
      now,
    });
    applyPreapproval(store, preapproval('pre-full', 'u-full', { next_payment_date: null, reason: null }), { via: 'webhook', now });
    [row] = store.list({ userId: 'u-full' });
    assert.equal(row?.nextBillingDate, '2026-05-01T10:00:00.000-05:00');
    assert.equal(row?.productName, 'Plan mensual');
  });

  it('a row the webhook creates first is complete from MercadoPago alone', () => {
    applyPreapproval(store, preapproval('pre-hook', 'u-hook'), { via: 'webhook', now });
    const [row] = store.list({ userId: 'u-hook' });
    assert.deepEqual(
      [row?.productName, row?.basePrice, row?.payerEmail, row?.nextBillingDate],
      ['Plan mensual PetGourmet', '39900', 'u-hook@example.com', '2026-04-01T10:00:00.000-05:00'],
    );
  });

  it('a database of the earlier example gets the columns in place, its rows intact', () => {
    const file = join(dir.dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE subscriptions (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, plan_id TEXT NOT NULL,
      external_reference TEXT NOT NULL, mercadopago_preapproval_id TEXT UNIQUE, status TEXT NOT NULL, created_by TEXT NOT NULL,
      activated_at TEXT, activated_by TEXT, last_payment_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      CONSTRAINT unique_user_external_ref UNIQUE (user_id, external_reference))`);
    old
      .prepare(
        `INSERT INTO subscriptions (user_id, plan_id, external_reference, status, created_by, created_at, updated_at)
      VALUES ('u-old', 'plan-mensual', 'pgsub:u-old:plan-mensual', 'pending', 'checkout', 'x', 'x')`,
      )
      .run();
    old.close();
    const upgraded = new SubscriptionStore(file);
    try {
      applyPreapproval(upgraded, preapproval('pre-old', 'u-old'), { via: 'webhook', now });
      const rows = upgraded.list({ userId: 'u-old' });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.status, 'active');
      assert.equal(rows[0]?.productName, 'Plan mensual PetGourmet');
    } finally {
      upgraded.close();
    }
  });
});

describe('subscriptions: cleaning up the duplicates the old code left', () => {
  let dir: { dir: string; remove: () => void };
  let file: string;
  beforeEach(() => {
    dir = tempDatabaseDir('subscriptions-cleanup-');
    file = join(dir.dir, 'app.db');
    new SubscriptionStore(file).close();
    // What the report found: a row per click (PG-SUB-<ms>-…), and a webhook row with the preapproval.
    const raw = new Database(file);
    const insert = raw.prepare(`INSERT INTO subscriptions (user_id, plan_id, external_reference, mercadopago_preapproval_id, status,
      created_by, product_name, base_price, cart_items, payer_email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'x', 'x')`);
    insert.run(
      'u1',
      'plan-mensual',
      'PG-SUB-1700000000001-u1',
      null,
      'pending',
      'checkout',
      'Plan mensual',
      '45000',
      '[{"id":"plan-mensual"}]',
      null,
    );
    insert.run('u1', 'plan-mensual', 'PG-SUB-1700000000002-u1', null, 'pending', 'checkout', null, '0', null, null);
    insert.run('u1', 'plan-mensual', 'pgsub:u1:plan-mensual', 'pre-u1', 'active', 'webhook', null, null, null, 'u1@example.com');
    insert.run('u1', 'plan-anual', 'pgsub:u1:plan-anual', 'pre-u1-anual', 'active', 'webhook', 'Plan anual', '400000', null, null);
    insert.run('u2', 'plan-mensual', 'PG-SUB-1700000000003-u2', 'pre-u2-a', 'active', 'webhook', null, null, null, null);
    insert.run('u2', 'plan-mensual', 'PG-SUB-1700000000004-u2', 'pre-u2-b', 'pending', 'webhook', null, null, null, null);
    insert.run('u3', 'plan-mensual', 'PG-SUB-1700000000005-u3', 'pre-u3-old', 'cancelled', 'webhook', null, null, null, null);
    insert.run('u3', 'plan-mensual', 'pgsub:u3:plan-mensual:2', 'pre-u3', 'active', 'checkout', null, null, null, null);
    raw.close();
  });
  afterEach(() => dir.remove());

  it('a dry run reports and changes nothing; applying keeps the most complete row, merged, after a backup', async () => {
    const store = new SubscriptionStore(file);
    try {
      const before = store.list();
      const dry = await cleanUpDuplicates(store, { apply: false });
      assert.equal(dry.applied, false);
      assert.deepEqual(store.list(), before, 'a dry run changes nothing');
      assert.deepEqual(
        dry.groups.map((g) => [g.userId, g.planId, g.keep.externalReference, g.remove.length]),
        [['u1', 'plan-mensual', 'pgsub:u1:plan-mensual', 2]],
      );
      assert.deepEqual(
        dry.conflicts.map((c) => [c.userId, c.rows.length]),
        [['u2', 2]],
        'two live preapprovals are two subscriptions: left for a person',
      );

      const backupFile = join(dir.dir, 'backup.db');
      const done = await cleanUpDuplicates(store, { apply: true, backupFile, now });
      assert.equal(done.applied, true);
      const u1 = store.list({ userId: 'u1' }).filter((r) => r.planId === 'plan-mensual');
      assert.equal(u1.length, 1, 'one row for (u1, plan-mensual)');
      assert.deepEqual(
        [u1[0]?.status, u1[0]?.mercadopagoPreapprovalId, u1[0]?.productName, u1[0]?.basePrice, u1[0]?.payerEmail],
        ['active', 'pre-u1', 'Plan mensual', '45000', 'u1@example.com'],
        'the active row, completed with what the removed rows knew',
      );
      assert.equal(store.list({ userId: 'u2' }).length, 2, 'the conflict is untouched');
      assert.equal(store.list({ userId: 'u3' }).length, 2, 'a cancelled row is history and stays');
      assert.equal(store.list({ userId: 'u1' }).length, 2, 'another plan is another subscription');
      const backup = new SubscriptionStore(backupFile);
      assert.equal(backup.list().length, before.length, 'the backup holds every row as it was');
      backup.close();
    } finally {
      store.close();
    }
  });

  it('as a script: a dry run by default, usage errors exit 2', () => {
    const script = fileURLToPath(new URL('../../examples/subscriptions/cleanup-duplicates.ts', import.meta.url));
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
    const dry = run([file]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /u1 plan-mensual: keep #3 \(active\), would remove #1, #2/);
    assert.match(dry.stdout, /u2 plan-mensual: NOT merged/);
    assert.match(dry.stdout, /1 duplicate groups found \(dry run; --apply to merge\), 1 left for a person/);
    assert.equal(run([file, '--force']).status, 2);
    assert.equal(run([]).status, 2);
    const applied = run([file, '--apply']);
    assert.equal(applied.status, 0, applied.stderr);
    const backup = /backup: (.+?)\)/.exec(applied.stdout)?.[1];
    assert.ok(backup && existsSync(backup), applied.stdout);
  });
});
