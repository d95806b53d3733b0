import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_LEASE_MS } from '../../src/engine/reconcile-claim.js';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

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

  it('a run renews its claim while it goes on: a run lasting several leases keeps the source, and frees it at its end', async () => {
    for (let i = 0; i < 8; i++) await rig.lostPayment(); // 8 pages of 1, 250 ms each: about two seconds
    const list = rig.list({ pageSize: 1 });
    // The provider answering each page slowly (real HTTP, 250 ms later).
    const slow = {
      ...list,
      page: async (...args: Parameters<typeof list.page>) => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return list.page(...args);
      },
    };
    const leaseMs = 300;
    const run = reconcileSource({ store, source: 'stripe-slow', list: slow, since: new Date(Date.now() - 3_600_000), leaseMs });
    const refusals: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, leaseMs));
      const now = new Date();
      const other = await store.claimReconciliationRun({
        source: 'stripe-slow',
        owner: 'other',
        now,
        leaseUntil: new Date(now.getTime() + 1),
      });
      refusals.push(!other.claimed);
    }
    const result = await run;
    assert.ok(result.listed >= 8, `listed ${result.listed}`);
    assert.deepEqual(refusals, [true, true, true, true], `held through four leases (${JSON.stringify(refusals)})`);
    assert.equal((await store.getReconciliationState('stripe-slow'))?.running, null, 'released at its end');
  });

  it('a run whose claim another run took (it stalled past its lease) stops at its next page and leaves the record to that run', async () => {
    for (let i = 0; i < 6; i++) await rig.lostPayment();
    const list = rig.list({ pageSize: 1 });
    const slow = {
      ...list,
      page: async (...args: Parameters<typeof list.page>) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return list.page(...args);
      },
    };
    const run = reconcileSource({ store, source: 'stripe-taken', list: slow, since: new Date(Date.now() - 3_600_000), leaseMs: 300 });
    const outcome = run.then(
      () => null,
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    // Another process whose clock says the lease is long over takes the source.
    const later = new Date(Date.now() + 3_600_000);
    const taken = await store.claimReconciliationRun({
      source: 'stripe-taken',
      owner: 'taker',
      now: later,
      leaseUntil: new Date(later.getTime() + 60_000),
    });
    assert.deepEqual(taken, { claimed: true });
    const before = await store.getReconciliationState('stripe-taken');
    const err = await outcome;
    assert.equal((err as { code?: string } | null)?.code, 'RECONCILE_CLAIM_LOST', String(err));
    const state = await store.getReconciliationState('stripe-taken');
    assert.equal(state?.lastError, before?.lastError ?? null, 'no end recorded over the run that holds the source');
    assert.equal(state?.running?.leaseUntil.getTime(), later.getTime() + 60_000, "the taker's claim stands");
  });

  it("a run that stalled past its lease while another took the source writes nothing over that run's record when it wakes", async () => {
    for (let i = 0; i < 3; i++) await rig.lostPayment();
    const source = 'stripe-stalled';
    const since = new Date(Date.now() - 3_600_000);
    // Each run's first page waits for the test to let it go: run A stalls inside it.
    const gated = () => {
      const list = rig.list({ pageSize: 1 });
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let first = true;
      const page: typeof list.page = async (...args) => {
        if (first) {
          first = false;
          await gate;
        }
        return list.page(...args);
      };
      return { list: { ...list, page }, open };
    };
    const a = gated();
    // A's lease is the default minute: it renews every 20 s, so within this test only its writes can find the loss.
    const runA = reconcileSource({ store, source, list: a.list, since }).then(
      () => null,
      (err: unknown) => err,
    );
    await waitFor(async () => (await store.getReconciliationState(source))?.lastStartedAt != null);
    // Run B, on a machine whose clock says A's lease is long over, takes the source and is on its first page.
    const b = gated();
    const runB = reconcileSource({ store, source, list: b.list, since, now: () => new Date(Date.now() + 2 * RUN_LEASE_MS) });
    // B has claimed and recorded its start (its clock is ahead: a start after A's lease).
    await waitFor(async () => ((await store.getReconciliationState(source))?.lastStartedAt?.getTime() ?? 0) > Date.now() + RUN_LEASE_MS);
    const held = await store.getReconciliationState(source);
    a.open(); // A wakes: lists its page and goes to record it
    const err = await runA;
    assert.equal((err as { code?: string } | null)?.code, 'RECONCILE_CLAIM_LOST', String(err));
    assert.match(String((err as Error).message), /stalled past its claim and another run took the source/);
    assert.deepEqual(await store.getReconciliationState(source), held, "A's late page changed nothing of B's record");
    b.open();
    const result = await runB;
    const state = await store.getReconciliationState(source);
    assert.equal(state?.lastError, null);
    assert.equal(state?.resume, null, 'B finished its window');
    assert.equal(state?.lastListed, result.listed, "the last run's counts are B's");
    assert.equal(state?.running, null, 'B released the source');
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
    assert.ok(result.created.some((event) => event.providerEventId === lost));
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

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
