import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

/** What /readyz and /metrics read: the database answering, and the queue's shape. */
export function healthContract(ctx: ContractContext): void {
  describe('health and queue figures', () => {
    it('ping answers on a working database', async () => {
      await ctx.store.ping(1000);
    });

    it('queueStats counts the active statuses (0 when none), dates the oldest queued event and the nearest retry', async () => {
      const empty = await ctx.store.queueStats();
      assert.deepEqual(empty, { byStatus: { queued: 0, processing: 0, retrying: 0, dead: 0 }, oldestQueuedAt: null, nextRetryAt: null });

      const first = await ctx.store.insertEvent(newEvent({ receivedAt: at(0) }));
      await ctx.store.insertEvent(newEvent({ receivedAt: at(MINUTE) }));
      await ctx.store.insertEvent(newEvent({ receivedAt: at(2 * MINUTE) }));
      const claimed = await ctx.store.claimNextEvent({ workerId: 'w1', leaseMs: 10 * MINUTE, now: at(3 * MINUTE) });
      assert.equal(claimed?.id, first.event.id, 'the oldest is claimed first');

      const mid = await ctx.store.queueStats();
      assert.equal(mid.byStatus.queued, 2);
      assert.equal(mid.byStatus.processing, 1);
      assert.equal(mid.oldestQueuedAt?.getTime(), at(MINUTE).getTime(), 'the claimed event no longer counts as queued');
      assert.equal(mid.nextRetryAt, null, 'queued events are not retries');

      await ctx.store.finishEvent({ eventId: first.event.id, leaseOwner: 'w1', status: 'dead', now: at(4 * MINUTE) });
      const second = await ctx.store.claimNextEvent({ workerId: 'w2', leaseMs: 10 * MINUTE, now: at(5 * MINUTE) });
      assert.ok(second);
      await ctx.store.finishEvent({
        eventId: second.id,
        leaseOwner: 'w2',
        status: 'retrying',
        nextAttemptAt: at(MINUTE / 2),
        now: at(6 * MINUTE),
      });
      const waiting = await ctx.store.queueStats();
      assert.deepEqual(waiting.byStatus, { queued: 1, processing: 0, retrying: 1, dead: 1 });
      assert.equal(waiting.oldestQueuedAt?.getTime(), at(2 * MINUTE).getTime(), 'a retrying event, even overdue, is not queued');
      assert.equal(waiting.nextRetryAt?.getTime(), at(MINUTE / 2).getTime(), 'its next attempt, even overdue, is the next retry');

      const again = await ctx.store.claimNextEvent({ workerId: 'w3', leaseMs: 10 * MINUTE, now: at(7 * MINUTE) });
      assert.equal(again?.id, second.id);
      await ctx.store.finishEvent({ eventId: second.id, leaseOwner: 'w3', status: 'succeeded', now: at(8 * MINUTE) });
      // A dead event retried by hand waits from the moment it was re-queued, not from its receipt.
      await ctx.store.requeueEvent(first.event.id, at(10 * MINUTE));

      const end = await ctx.store.queueStats();
      assert.deepEqual(end.byStatus, { queued: 2, processing: 0, retrying: 0, dead: 0 });
      assert.equal(end.oldestQueuedAt?.getTime(), at(2 * MINUTE).getTime());
      assert.equal(end.nextRetryAt, null, 'none retrying');
    });
  });
}
