import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_LEASE_MS } from '../../src/engine/reconcile-claim.js';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { startStripeRig, type StripeRig } from './stripe-rig.js';

/** A run's claim on its source, at the edges: a release that fails does not undo the run. */
describe('reconciliation run claims', () => {
  let store: SqliteStore;
  let rig: StripeRig;
  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    rig = await startStripeRig(store);
  });
  after(async () => {
    await rig?.close();
    await store?.close();
  });

  it('a run whose claim cannot be released (the database gone at the end) still returns what it did; the claim lapses with its lease', async () => {
    const lost = String((await rig.lostPayment()).id);
    // The real store, failing at exactly one point: the release after the run has ended.
    const failingRelease: Store = Object.assign(Object.create(store) as Store, {
      releaseReconciliationRun: () => Promise.reject(new Error('connection terminated')),
    });
    const result = await reconcileSource({
      store: failingRelease,
      source: 'stripe',
      list: rig.list(),
      since: new Date(Date.now() - 3_600_000),
    });
    assert.deepEqual(
      result.created.map((event) => event.providerEventId),
      [lost],
    );
    const state = await store.getReconciliationState('stripe');
    assert.ok(state?.lastFinishedAt, 'the run recorded its end');
    assert.ok(state.running, 'the claim was left');
    const claim = (now: Date) =>
      store.claimReconciliationRun({ source: 'stripe', owner: 'next', now, leaseUntil: new Date(now.getTime() + 1) });
    assert.equal((await claim(new Date())).claimed, false, 'until its lease ends');
    assert.deepEqual(await claim(new Date(state.running.leaseUntil.getTime())), { claimed: true });
    assert.ok(state.running.leaseUntil.getTime() - state.running.startedAt.getTime() <= RUN_LEASE_MS);
  });
});
