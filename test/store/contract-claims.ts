import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError, StoreError } from '../../src/core/errors.js';
import { at, claim, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

export function claimContract(ctx: ContractContext): void {
  describe('claims and leases', () => {
    it('claims nothing from an empty inbox', async () => {
      assert.equal(await claim(ctx.store, 'w1', at(0)), null);
    });

    it('leases the claimed event to the worker and counts the attempt', async () => {
      const [id] = await insertAll(ctx.store, [newEvent()]);
      const claimed = await ctx.store.claimNextEvent({ workerId: 'w1', leaseMs: 30_000, now: at(5) });
      assert.equal(claimed?.id, id);
      assert.equal(claimed?.status, 'processing');
      assert.equal(claimed?.leaseOwner, 'w1');
      assert.deepEqual(claimed?.leaseExpiresAt, at(30_005));
      assert.equal(claimed?.attempts, 1);
      assert.deepEqual(await ctx.store.getEvent(id ?? 0), claimed);
      assert.equal(await claim(ctx.store, 'w2', at(6)), null, 'a leased event is not claimed again');
    });

    it('refuses a lease that is not a positive whole number of milliseconds (INVALID_ARGUMENT), changing nothing', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      const invalid = (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT';
      for (const leaseMs of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(ctx.store.claimNextEvent({ workerId: 'w1', leaseMs, now: at(0) }), invalid, `claim, leaseMs ${leaseMs}`);
        await assert.rejects(ctx.store.claimNextEvents({ workerIds: ['w1'], leaseMs, now: at(0) }), invalid, `claims, leaseMs ${leaseMs}`);
      }
      const before = await ctx.store.getEvent(id);
      assert.equal(before?.status, 'queued', 'no refused claim took the event');
      await claim(ctx.store, 'w1', at(0));
      const held = await ctx.store.getEvent(id);
      for (const leaseMs of [0, -1, 1.5]) {
        await assert.rejects(ctx.store.renewLease(id, 'w1', leaseMs, at(1)), invalid, `renew, leaseMs ${leaseMs}`);
      }
      assert.deepEqual(await ctx.store.getEvent(id), held, 'no refused renewal moved the lease');
    });

    it('claims in order of next attempt, then arrival', async () => {
      const [late, early] = await insertAll(ctx.store, [newEvent({ receivedAt: at(2_000) }), newEvent({ receivedAt: at(1_000) })]);
      assert.equal((await claim(ctx.store, 'w', at(3_000)))?.id, early);
      assert.equal((await claim(ctx.store, 'w', at(3_000)))?.id, late);
    });

    it('does not claim an event before it was received or before its next attempt', async () => {
      const [id] = await insertAll(ctx.store, [newEvent({ receivedAt: at(1_000) })]);
      assert.equal(await claim(ctx.store, 'w', at(999)), null);
      const claimed = await claim(ctx.store, 'w', at(1_000));
      assert.equal(claimed?.id, id);
      await ctx.store.finishEvent({ eventId: id ?? 0, leaseOwner: 'w', status: 'retrying', nextAttemptAt: at(MINUTE), now: at(1_500) });
      assert.equal(await claim(ctx.store, 'w', at(MINUTE - 1)), null);
      assert.equal((await claim(ctx.store, 'w', at(MINUTE)))?.id, id);
    });

    it('two claimers never get the same event', async () => {
      await insertAll(ctx.store, [newEvent(), newEvent()]);
      const a = await claim(ctx.store, 'w1', at(0));
      const b = await claim(ctx.store, 'w2', at(0));
      assert.ok(a && b);
      assert.notEqual(a.id, b.id);
      assert.equal(await claim(ctx.store, 'w3', at(0)), null);
    });

    it('many claims racing in parallel: each event is held by exactly one worker', async () => {
      // Sorted: PostgreSQL inserts a batch in key order, so ids follow the keys, not the array
      // (evt-9 after evt-10 when the counter crosses a digit, as it does when this test runs alone).
      const ids = (await ctx.store.insertEvents(Array.from({ length: 25 }, () => newEvent()))).map((r) => r.event.id).sort((a, b) => a - b);
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => claim(ctx.store, `w${i}`, at(0))));
      const claimed = results.filter((r) => r !== null);
      assert.equal(claimed.length, 25);
      assert.deepEqual(
        claimed.map((e) => e.id).sort((a, b) => a - b),
        ids,
      );
      for (const event of claimed) {
        const stored = await ctx.store.getEvent(event.id);
        assert.equal(stored?.leaseOwner, event.leaseOwner, 'the store agrees with the winner');
        assert.equal(stored?.attempts, 1);
      }
    });

    it('an expired lease can be claimed by another worker, which resumes it', async () => {
      const [id] = await insertAll(ctx.store, [newEvent()]);
      await claim(ctx.store, 'w1', at(0), 1_000);
      assert.equal(await claim(ctx.store, 'w2', at(999)), null, 'the lease is live until it expires');
      const reclaimed = await claim(ctx.store, 'w2', at(1_000), 1_000);
      assert.equal(reclaimed?.id, id);
      assert.equal(reclaimed?.leaseOwner, 'w2');
      assert.equal(reclaimed?.attempts, 2);
    });

    it('after another worker reclaimed the event, the old holder cannot write (LeaseLostError)', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      await claim(ctx.store, 'w1', at(0), 1_000);
      await ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner: 'w1', attempt: 1, startedAt: at(10) });
      await claim(ctx.store, 'w2', at(2_000), MINUTE);
      const before = await ctx.store.getCheckpoints(id);
      const isLeaseLost = (err: unknown) => err instanceof LeaseLostError && err.code === 'LEASE_LOST';

      await assert.rejects(
        ctx.store.recordStageStart({ eventId: id, stage: 'crm', leaseOwner: 'w1', attempt: 1, startedAt: at(2_100) }),
        isLeaseLost,
      );
      await assert.rejects(
        ctx.store.recordStageOutcome({
          eventId: id,
          stage: 'invoice',
          leaseOwner: 'w1',
          attempt: 1,
          startedAt: at(10),
          completedAt: at(2_100),
          outcome: { status: 'success', data: { invoice: 'FV-1' } },
          summaryPatch: { product: { name: 'should not be written' } },
          logs: [{ at: at(2_100), level: 'info', stage: 'invoice', message: 'should not be written', fields: null }],
        }),
        isLeaseLost,
      );
      await assert.rejects(ctx.store.finishEvent({ eventId: id, leaseOwner: 'w1', status: 'succeeded', now: at(2_100) }), isLeaseLost);
      assert.equal(await ctx.store.renewLease(id, 'w1', MINUTE, at(2_100)), false);
      await ctx.store.releaseLease(id, 'w1', at(2_100));

      const after = await ctx.store.getEvent(id);
      assert.equal(after?.status, 'processing');
      assert.equal(after?.leaseOwner, 'w2');
      assert.deepEqual(after?.leaseExpiresAt, at(2_000 + MINUTE));
      assert.notEqual(after?.summary.product?.name, 'should not be written');
      assert.deepEqual(await ctx.store.getCheckpoints(id), before);
      assert.deepEqual(await ctx.store.getEventLogs(id), []);
    });

    it('a holder whose lease expired cannot write even before anyone reclaims it', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      await claim(ctx.store, 'w1', at(0), 1_000);
      await assert.rejects(
        ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner: 'w1', attempt: 1, startedAt: at(1_000) }),
        LeaseLostError,
      );
      assert.equal(await ctx.store.renewLease(id, 'w1', MINUTE, at(1_000)), false);
      assert.deepEqual(await ctx.store.getCheckpoints(id), []);
    });

    it('renewLease extends a live lease', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      await claim(ctx.store, 'w1', at(0), 1_000);
      assert.equal(await ctx.store.renewLease(id, 'w1', 1_000, at(900)), true);
      assert.deepEqual((await ctx.store.getEvent(id))?.leaseExpiresAt, at(1_900));
      assert.equal(await claim(ctx.store, 'w2', at(1_500)), null);
      assert.equal(await ctx.store.renewLease(id, 'w2', 1_000, at(1_500)), false, 'only the holder renews');
    });

    it('releaseLease gives the event back, runnable at once', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      await claim(ctx.store, 'w1', at(0));
      await ctx.store.releaseLease(id, 'w1', at(100));
      const released = await ctx.store.getEvent(id);
      assert.equal(released?.leaseOwner, null);
      assert.notEqual(released?.status, 'processing');
      const again = await claim(ctx.store, 'w2', at(100));
      assert.equal(again?.id, id);
      assert.equal(again?.leaseOwner, 'w2');
    });

    it('finishEvent moves the event on and drops the lease', async () => {
      const [ok = 0, ignored = 0, dead = 0] = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent()]);
      for (let i = 0; i < 3; i++) await claim(ctx.store, 'w', at(0));
      const succeeded = await ctx.store.finishEvent({
        eventId: ok,
        leaseOwner: 'w',
        status: 'succeeded',
        pipeline: 'facturador',
        now: at(50),
      });
      assert.equal(succeeded.status, 'succeeded');
      assert.equal(succeeded.pipeline, 'facturador');
      assert.equal(succeeded.leaseOwner, null);
      assert.equal(succeeded.leaseExpiresAt, null);
      assert.deepEqual(succeeded.updatedAt, at(50));
      assert.deepEqual(await ctx.store.getEvent(ok), succeeded);

      const ignoreReason = { kind: 'no_pipeline' as const, detail: 'no pipeline matches payment.updated' };
      const ig = await ctx.store.finishEvent({ eventId: ignored, leaseOwner: 'w', status: 'ignored', ignoreReason, now: at(50) });
      assert.deepEqual(ig.ignoreReason, ignoreReason);

      const lastError = { message: 'ERP said 422', code: 'VALIDATION', retriable: false, httpStatus: 422 };
      const d = await ctx.store.finishEvent({ eventId: dead, leaseOwner: 'w', status: 'dead', lastError, now: at(50) });
      assert.equal(d.status, 'dead');
      assert.deepEqual(d.lastError, lastError);
      assert.equal(await claim(ctx.store, 'w', at(10 * MINUTE)), null, 'finished events are never claimed');
    });

    it('finishing as queued gives the event back at once; a finished event cannot be renewed', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      await claim(ctx.store, 'w1', at(0));
      const queued = await ctx.store.finishEvent({ eventId: id, leaseOwner: 'w1', status: 'queued', now: at(10) });
      assert.equal(queued.status, 'queued');
      assert.deepEqual(queued.nextAttemptAt, at(10));
      assert.equal(await ctx.store.renewLease(id, 'w1', MINUTE, at(11)), false);
      const again = await claim(ctx.store, 'w2', at(10));
      assert.equal(again?.id, id);
      assert.equal(again?.attempts, 2);
    });

    describe('per entity', () => {
      it('a later event of an entity waits while an earlier one is unfinished', async () => {
        const [first = 0, second = 0, other = 0] = await insertAll(ctx.store, [
          newEvent({ entityKey: 'order:1', occurredAt: at(0) }),
          newEvent({ entityKey: 'order:1', occurredAt: at(100) }),
          newEvent({ entityKey: 'order:2', occurredAt: at(200) }),
        ]);
        assert.equal((await claim(ctx.store, 'w1', at(1_000)))?.id, first);
        assert.equal((await claim(ctx.store, 'w2', at(1_000)))?.id, other, 'another entity runs in parallel');
        assert.equal(await claim(ctx.store, 'w3', at(1_000)), null, 'order:1 is busy');
        await ctx.store.finishEvent({ eventId: other, leaseOwner: 'w2', status: 'succeeded', now: at(1_000) });
        // Retrying still counts as unfinished: the later event keeps waiting.
        await ctx.store.finishEvent({
          eventId: first,
          leaseOwner: 'w1',
          status: 'retrying',
          nextAttemptAt: at(5 * MINUTE),
          now: at(1_100),
        });
        assert.equal(await claim(ctx.store, 'w3', at(1_200)), null);
        assert.equal((await claim(ctx.store, 'w3', at(5 * MINUTE)))?.id, first);
        await ctx.store.finishEvent({ eventId: first, leaseOwner: 'w3', status: 'succeeded', now: at(5 * MINUTE) });
        assert.equal((await claim(ctx.store, 'w3', at(5 * MINUTE)))?.id, second);
      });

      it('orders an entity by occurrence, not arrival', async () => {
        const [arrivedFirst = 0, occurredFirst = 0] = await insertAll(ctx.store, [
          newEvent({ entityKey: 'pay:9', occurredAt: at(500), receivedAt: at(1_000) }),
          newEvent({ entityKey: 'pay:9', occurredAt: at(100), receivedAt: at(2_000) }),
        ]);
        assert.equal((await claim(ctx.store, 'w', at(3_000)))?.id, occurredFirst);
        assert.equal(await claim(ctx.store, 'w', at(3_000)), null);
        await ctx.store.finishEvent({ eventId: occurredFirst, leaseOwner: 'w', status: 'succeeded', now: at(3_000) });
        assert.equal((await claim(ctx.store, 'w', at(3_000)))?.id, arrivedFirst);
      });

      it('breaks ties in occurrence by arrival, then by id', async () => {
        const [second = 0, first = 0, third = 0] = await insertAll(ctx.store, [
          newEvent({ entityKey: 'pay:10', occurredAt: at(100), receivedAt: at(2_000) }),
          newEvent({ entityKey: 'pay:10', occurredAt: at(100), receivedAt: at(1_000) }),
          newEvent({ entityKey: 'pay:10', occurredAt: at(100), receivedAt: at(2_000) }),
        ]);
        for (const expected of [first, second, third]) {
          const claimed = await claim(ctx.store, 'w', at(3_000));
          assert.equal(claimed?.id, expected);
          assert.equal(await claim(ctx.store, 'w2', at(3_000)), null, 'one event of the entity at a time');
          await ctx.store.finishEvent({ eventId: expected, leaseOwner: 'w', status: 'succeeded', now: at(3_000) });
        }
      });

      it('a late arrival that occurred earlier waits while another event of the entity is leased', async () => {
        const [current = 0] = await insertAll(ctx.store, [newEvent({ entityKey: 'sub:3', occurredAt: at(500) })]);
        assert.equal((await claim(ctx.store, 'w1', at(1_000)))?.id, current);
        const [late = 0] = await insertAll(ctx.store, [newEvent({ entityKey: 'sub:3', occurredAt: at(100), receivedAt: at(1_100) })]);
        assert.equal(await claim(ctx.store, 'w2', at(1_200)), null, 'never two events of one entity at once');
        await ctx.store.finishEvent({ eventId: current, leaseOwner: 'w1', status: 'succeeded', now: at(1_300) });
        assert.equal((await claim(ctx.store, 'w2', at(1_300)))?.id, late);
      });

      it('events without an entity key are not held back by each other', async () => {
        await insertAll(ctx.store, [newEvent({ entityKey: null }), newEvent({ entityKey: null })]);
        assert.ok(await claim(ctx.store, 'w1', at(0)));
        assert.ok(await claim(ctx.store, 'w2', at(0)));
      });
    });

    describe('operator retry', () => {
      it('puts dead, retrying and ignored events back in the queue and counts it', async () => {
        const ids = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent()]);
        const statuses = ['dead', 'retrying', 'ignored'] as const;
        for (const status of statuses) {
          const claimed = await claim(ctx.store, 'w', at(0));
          assert.ok(claimed);
          await ctx.store.finishEvent({ eventId: claimed.id, leaseOwner: 'w', status, nextAttemptAt: at(60 * MINUTE), now: at(10) });
        }
        for (const id of ids) {
          const requeued = await ctx.store.requeueEvent(id, at(MINUTE));
          assert.equal(requeued?.status, 'queued');
          assert.equal(requeued?.manualRetries, 1);
          assert.deepEqual(requeued?.nextAttemptAt, at(MINUTE));
          assert.deepEqual(await ctx.store.getEvent(id), requeued);
        }
        const again = await Promise.all(ids.map(() => claim(ctx.store, 'w', at(MINUTE))));
        assert.deepEqual(
          again.map((e) => e?.id).sort((a = 0, b = 0) => a - b),
          ids,
        );
      });

      it('drops a lease left on the row: the requeued event is queued with no lease owner or expiry', async () => {
        const [id = 0] = await insertAll(ctx.store, [newEvent()]);
        await claim(ctx.store, 'w', at(0));
        await ctx.store.finishEvent({ eventId: id, leaseOwner: 'w', status: 'dead', now: at(10) });
        await ctx.fixture.writeLeaseOnRow(id, 'ghost', at(60 * MINUTE));
        const requeued = await ctx.store.requeueEvent(id, at(MINUTE));
        assert.equal(requeued?.status, 'queued');
        assert.equal(requeued?.leaseOwner, null);
        assert.equal(requeued?.leaseExpiresAt, null);
        assert.deepEqual(await ctx.store.getEvent(id), requeued);
      });

      it('refuses to requeue queued, processing or succeeded events (NOT_RETRIABLE) and returns null for unknown ids', async () => {
        const [queued = 0, processing = 0, succeeded = 0] = await insertAll(ctx.store, [
          newEvent({ receivedAt: at(5_000) }),
          newEvent(),
          newEvent(),
        ]);
        await claim(ctx.store, 'w', at(0));
        await claim(ctx.store, 'w', at(0));
        await ctx.store.finishEvent({ eventId: succeeded, leaseOwner: 'w', status: 'succeeded', now: at(0) });
        for (const id of [queued, processing, succeeded]) {
          const before = await ctx.store.getEvent(id);
          await assert.rejects(
            ctx.store.requeueEvent(id, at(MINUTE)),
            (err: unknown) => err instanceof StoreError && err.code === 'NOT_RETRIABLE',
          );
          assert.deepEqual(await ctx.store.getEvent(id), before);
        }
        assert.equal(await ctx.store.requeueEvent(424_242, at(0)), null);
      });
    });

    describe('waking workers', () => {
      it('nextWakeAt is the earliest next attempt among queued and retrying events', async () => {
        assert.equal(await ctx.store.nextWakeAt(), null);
        const [a = 0] = await insertAll(ctx.store, [newEvent({ receivedAt: at(0) }), newEvent({ receivedAt: at(0) })]);
        assert.deepEqual(await ctx.store.nextWakeAt(), at(0));
        await claim(ctx.store, 'w', at(0));
        await claim(ctx.store, 'w', at(0));
        assert.equal(await ctx.store.nextWakeAt(), null, 'leased events are not waited for');
        await ctx.store.finishEvent({ eventId: a, leaseOwner: 'w', status: 'retrying', nextAttemptAt: at(7 * MINUTE), now: at(1) });
        assert.deepEqual(await ctx.store.nextWakeAt(), at(7 * MINUTE));
      });

      it('onWake listeners hear about inserts, retries and requeues until they unsubscribe', { timeout: 20_000 }, async () => {
        let calls = 0;
        let notify: (() => void) | undefined;
        const nextWake = () =>
          new Promise<void>((resolve) => {
            notify = resolve;
          });
        const unsubscribe = ctx.store.onWake(() => {
          calls += 1;
          notify?.();
        });
        try {
          await ctx.fixture.wakeListening?.();
          let woke = nextWake();
          const [id = 0] = await insertAll(ctx.store, [newEvent()]);
          await woke;

          await claim(ctx.store, 'w', at(0));
          woke = nextWake();
          await ctx.store.finishEvent({ eventId: id, leaseOwner: 'w', status: 'retrying', nextAttemptAt: at(MINUTE), now: at(1) });
          await woke;

          woke = nextWake();
          await ctx.store.requeueEvent(id, at(2));
          await woke;
        } finally {
          unsubscribe();
        }
        const heard = calls;
        assert.ok(heard >= 3);
        await ctx.store.insertEvents([newEvent()]);
        // A listener that unsubscribed must not be called; give any async delivery a chance to arrive.
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(calls, heard);
      });
    });
  });
}
