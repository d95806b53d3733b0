/**
 * The subscriptions example's own database: the unique key, and what each MercadoPago status
 * does to the one row (a cancelled preapproval is final; a pause and a resume; a second
 * preapproval for one reference is refused, not silently attached).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { parseSubscriptionReference, subscriptionReference } from '../../examples/subscriptions/activation.js';
import { SubscriptionStore, SubscriptionStoreError, type ProviderStatus } from '../../examples/subscriptions/subscription-store.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

describe('subscriptions store', () => {
  let dir: { dir: string; remove: () => void };
  let store: SubscriptionStore;
  const now = new Date('2026-01-05T12:00:00Z');

  before(() => {
    dir = tempDatabaseDir('subscriptions-store-');
    store = new SubscriptionStore(join(dir.dir, 'app.db'));
  });

  after(() => {
    store.close();
    dir.remove();
  });

  const apply = (userId: string, status: ProviderStatus, preapprovalId: string | null = `pre-${userId}`) =>
    store.applyProviderStatus({
      userId,
      planId: 'plan',
      externalReference: subscriptionReference(userId, 'plan'),
      preapprovalId,
      paymentId: null,
      status,
      via: 'webhook',
      now,
    });

  it('keeps one row per (user, reference) whoever inserts it, and a second store on the file agrees', () => {
    const input = {
      userId: 'u1',
      planId: 'plan',
      externalReference: subscriptionReference('u1', 'plan'),
      createdBy: 'checkout' as const,
      now,
    };
    const first = store.ensure(input);
    const other = new SubscriptionStore(join(dir.dir, 'app.db'));
    try {
      const second = other.ensure(input);
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.record.id, first.record.id);
    } finally {
      other.close();
    }
    assert.equal(store.list({ userId: 'u1' }).length, 1);
  });

  it('the database itself refuses a second row for (user, reference), whoever writes it', () => {
    store.ensure({ userId: 'u-db', planId: 'plan', externalReference: subscriptionReference('u-db', 'plan'), createdBy: 'checkout', now });
    // A writer that bypasses the store (a script, the seed's plain INSERT) meets the constraint.
    const raw = new Database(join(dir.dir, 'app.db'));
    try {
      const insert = raw.prepare(
        `INSERT INTO subscriptions (user_id, plan_id, external_reference, status, created_by, created_at, updated_at)
         VALUES (?, 'plan', ?, 'pending', 'checkout', ?, ?)`,
      );
      const at = now.toISOString();
      assert.throws(
        () => insert.run('u-db', subscriptionReference('u-db', 'plan'), at, at),
        (err: unknown) => err instanceof Error && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE',
      );
      // The same reference for another user is another subscription.
      insert.run('u-db-2', subscriptionReference('u-db', 'plan'), at, at);
    } finally {
      raw.close();
    }
    assert.equal(store.list({ userId: 'u-db' }).length, 1);
  });

  it('moves pending → active once; pending news after that does not deactivate', () => {
    assert.equal(apply('u2', 'pending').outcome, 'still_pending');
    assert.equal(apply('u2', 'authorized').outcome, 'activated');
    assert.equal(apply('u2', 'authorized').outcome, 'already_active');
    assert.equal(apply('u2', 'pending').outcome, 'already_active');
    assert.equal(store.list({ userId: 'u2' })[0]?.status, 'active');
  });

  it('pauses and resumes an active subscription; a cancelled one stays cancelled', () => {
    apply('u3', 'authorized');
    assert.equal(apply('u3', 'paused').outcome, 'paused');
    assert.equal(apply('u3', 'authorized').outcome, 'resumed');
    assert.equal(apply('u3', 'cancelled').outcome, 'cancelled');
    assert.equal(apply('u3', 'authorized').outcome, 'already_cancelled');
    const [row] = store.list({ userId: 'u3' });
    assert.equal(row?.status, 'cancelled');
    assert.equal(row?.activatedBy, 'webhook');
  });

  it('refuses a second preapproval for one reference and changes nothing', () => {
    apply('u4', 'pending', 'pre-first');
    assert.throws(
      () => apply('u4', 'authorized', 'pre-second'),
      (err: unknown) => err instanceof SubscriptionStoreError && err.code === 'PREAPPROVAL_MISMATCH',
    );
    const [row] = store.list({ userId: 'u4' });
    assert.equal(row?.status, 'pending');
    assert.equal(row?.mercadopagoPreapprovalId, 'pre-first');
  });

  it('reads back only its own references', () => {
    assert.deepEqual(parseSubscriptionReference('pgsub:user-1:plan.anual'), { userId: 'user-1', planId: 'plan.anual', generation: 1 });
    assert.deepEqual(parseSubscriptionReference('pgsub:user-1:plan.anual:2'), { userId: 'user-1', planId: 'plan.anual', generation: 2 });
    assert.equal(subscriptionReference('user-1', 'plan.anual', 1), 'pgsub:user-1:plan.anual', 'the first keeps the plain form');
    assert.equal(subscriptionReference('user-1', 'plan.anual', 3), 'pgsub:user-1:plan.anual:3');
    // One reference per subscription: no written generation 1, no leading zeros, no junk.
    for (const foreign of [
      'PG-SUB-1700000000-user-plan',
      'pgsub:a:b:c',
      'pgsub:a:b:1',
      'pgsub:a:b:02',
      'pgsub:a:b:0',
      'pgsub:a:b:2:3',
      'pgsub::plan',
      'order-123',
      '',
    ]) {
      assert.equal(parseSubscriptionReference(foreign), null, foreign);
    }
  });
});
