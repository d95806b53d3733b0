import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError } from '../../src/core/errors.js';
import type { StageOutcomeWrite } from '../../src/store/store.js';
import { at, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

/** Group-committed checkpoint writes and batched claims (the engine's fast path). */
export function checkpointBatchContract(ctx: ContractContext): void {
  describe('checkpoint batches and batched claims', () => {
    const success = (eventId: number, leaseOwner: string, stage: string, ms: number): StageOutcomeWrite => ({
      eventId,
      stage,
      leaseOwner,
      attempt: 1,
      startedAt: at(ms - 5),
      completedAt: at(ms),
      outcome: { status: 'success', data: { stage } },
    });

    it('claimNextEvents claims one event per owner in one call, each leased to its own owner, and stops when none is left', async () => {
      const ids = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent()]);
      const claimed = await ctx.store.claimNextEvents({ workerIds: ['w#1', 'w#2', 'w#3', 'w#4'], leaseMs: MINUTE, now: at(0) });
      assert.deepEqual(
        claimed.map((e) => e.id),
        ids,
      );
      assert.deepEqual(
        claimed.map((e) => e.leaseOwner),
        ['w#1', 'w#2', 'w#3'],
      );
      assert.ok(claimed.every((e) => e.status === 'processing'));
      assert.deepEqual(await ctx.store.claimNextEvents({ workerIds: ['w#5'], leaseMs: MINUTE, now: at(1) }), []);
    });

    it('claimNextEvents keeps the entity rule: one event of an entity at a time, the earliest', async () => {
      const [first, , other] = await insertAll(ctx.store, [
        newEvent({ entityKey: 'pay-1', occurredAt: at(0) }),
        newEvent({ entityKey: 'pay-1', occurredAt: at(10) }),
        newEvent({ entityKey: 'pay-2' }),
      ]);
      const claimed = await ctx.store.claimNextEvents({ workerIds: ['a', 'b', 'c'], leaseMs: MINUTE, now: at(20) });
      assert.deepEqual(
        claimed.map((e) => e.id).sort((x, y) => x - y),
        [first, other],
      );
    });

    it("writeCheckpoints commits several events' outcomes, next processing marks and finishes together", async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      await ctx.store.writeCheckpoints([
        { eventId: a, leaseOwner: 'wa', outcomes: [], start: { eventId: a, stage: 's1', leaseOwner: 'wa', attempt: 1, startedAt: at(5) } },
        { eventId: b, leaseOwner: 'wb', outcomes: [], start: { eventId: b, stage: 's1', leaseOwner: 'wb', attempt: 1, startedAt: at(5) } },
      ]);
      const results = await ctx.store.writeCheckpoints([
        {
          eventId: a,
          leaseOwner: 'wa',
          outcomes: [
            success(a, 'wa', 's1', 10),
            {
              eventId: a,
              stage: 's2',
              leaseOwner: 'wa',
              attempt: 0,
              startedAt: null,
              completedAt: at(11),
              outcome: { status: 'skipped', skipReason: { kind: 'flag', flag: 'f', value: false } },
            },
          ],
          start: { eventId: a, stage: 's3', leaseOwner: 'wa', attempt: 1, startedAt: at(12) },
        },
        {
          eventId: b,
          leaseOwner: 'wb',
          outcomes: [success(b, 'wb', 's1', 10)],
          finish: { eventId: b, leaseOwner: 'wb', status: 'succeeded', now: at(13) },
        },
      ]);
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, true],
      );
      assert.equal(results[0]?.ok && results[0].event, null);
      assert.equal(results[1]?.ok ? results[1].event?.status : null, 'succeeded');
      const checkpointsA = await ctx.store.getCheckpoints(a);
      assert.deepEqual(
        checkpointsA.map((c) => [c.stage, c.status]),
        [
          ['s1', 'success'],
          ['s2', 'skipped'],
          ['s3', 'processing'],
        ],
      );
      assert.equal((await ctx.store.getEvent(a))?.status, 'processing');
      assert.deepEqual(
        (await ctx.store.getCheckpoints(b)).map((c) => [c.stage, c.status]),
        [['s1', 'success']],
      );
      assert.equal((await ctx.store.getEvent(b))?.status, 'succeeded');
    });

    it('outcomes of stages never marked (no effects) are stored whole with the write that carries them: attempt, start, duration, history', async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      const failed: StageOutcomeWrite = {
        eventId: b,
        stage: 'lookup',
        leaseOwner: 'wb',
        attempt: 1,
        startedAt: at(3),
        completedAt: at(9),
        outcome: { status: 'error', error: { message: 'FR360 answered 503', retriable: true, httpStatus: 503 } },
      };
      const results = await ctx.store.writeCheckpoints([
        {
          eventId: a,
          leaseOwner: 'wa',
          outcomes: [success(a, 'wa', 'read', 10), success(a, 'wa', 'lookup', 20)],
          start: { eventId: a, stage: 'invoice', leaseOwner: 'wa', attempt: 1, startedAt: at(21) },
        },
        {
          eventId: b,
          leaseOwner: 'wb',
          outcomes: [success(b, 'wb', 'read', 2), failed],
          finish: {
            eventId: b,
            leaseOwner: 'wb',
            status: 'retrying',
            now: at(10),
            nextAttemptAt: at(70),
            lastError: { message: 'lookup: FR360 answered 503', retriable: true },
          },
        },
      ]);
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, true],
      );
      const checkpointsA = await ctx.store.getCheckpoints(a);
      assert.deepEqual(
        checkpointsA.map((c) => [c.stage, c.status, c.attempts, c.startedAt?.getTime(), c.durationMs]),
        [
          ['read', 'success', 1, at(5).getTime(), 5],
          ['lookup', 'success', 1, at(15).getTime(), 5],
          ['invoice', 'processing', 1, at(21).getTime(), null],
        ],
      );
      assert.deepEqual(
        checkpointsA.map((c) => c.history.map((h) => [h.attempt, h.status, h.startedAt?.getTime()])),
        [[[1, 'success', at(5).getTime()]], [[1, 'success', at(15).getTime()]], [[1, 'processing', at(21).getTime()]]],
      );
      assert.deepEqual(checkpointsA[1]?.data, { stage: 'lookup' });
      const checkpointsB = await ctx.store.getCheckpoints(b);
      assert.deepEqual(
        checkpointsB.map((c) => [c.stage, c.status, c.attempts, c.error?.httpStatus ?? null]),
        [
          ['read', 'success', 1, null],
          ['lookup', 'error', 1, 503],
        ],
      );
      assert.deepEqual(
        checkpointsB[1]?.history.map((h) => [h.attempt, h.status, h.durationMs]),
        [[1, 'error', 6]],
      );
      assert.equal((await ctx.store.getEvent(b))?.status, 'retrying');
    });

    it("a finish resolves the event's open alerts of the kinds it names in its own transaction; a fenced one resolves none", async () => {
      const [a = 0, b = 0, c = 0] = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent()]);
      for (const eventId of [a, b, c]) {
        await ctx.store.recordAlert({ at: at(0), kind: 'dead', eventId, message: `event ${eventId} is dead` });
        await ctx.store.recordAlert({
          at: at(0),
          kind: 'oversold',
          eventId,
          message: `event ${eventId} oversold`,
          subject: `sku:${eventId}`,
        });
      }
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb', 'wc'], leaseMs: MINUTE, now: at(1) });
      const finish = (eventId: number, leaseOwner: string) => ({
        eventId,
        leaseOwner,
        outcomes: [],
        finish: { eventId, leaseOwner, status: 'succeeded' as const, now: at(5), resolveAlerts: ['dead' as const] },
      });
      // One write alone (an idle worker's), then a batch of two of which one is fenced.
      assert.deepEqual(
        (await ctx.store.writeCheckpoints([finish(a, 'wa')])).map((r) => r.ok),
        [true],
      );
      assert.deepEqual(
        (await ctx.store.writeCheckpoints([finish(b, 'wb'), finish(c, 'stale')])).map((r) => r.ok),
        [true, false],
      );
      const open = (await ctx.store.listAlerts({ unresolvedOnly: true })).items.map((alert) => `${alert.eventId}:${alert.kind}`).sort();
      assert.deepEqual(
        open,
        [`${a}:oversold`, `${b}:oversold`, `${c}:dead`, `${c}:oversold`].sort(),
        'only the named kind, only for finishes that were written',
      );
      const resolved = (await ctx.store.listAlerts()).items.filter((alert) => alert.resolvedAt !== null);
      assert.deepEqual(
        resolved.map((alert) => alert.resolvedAt?.getTime()),
        [at(5).getTime(), at(5).getTime()],
        "resolved at the finish's time",
      );
    });

    it('a fenced write fails alone with LeaseLostError and writes nothing of its own; the rest of its batch commits', async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      const results = await ctx.store.writeCheckpoints([
        // 'stale' does not hold a's lease (another run of it, taken over).
        {
          eventId: a,
          leaseOwner: 'stale',
          outcomes: [success(a, 'stale', 's1', 10)],
          start: { eventId: a, stage: 's2', leaseOwner: 'stale', attempt: 1, startedAt: at(11) },
        },
        { eventId: b, leaseOwner: 'wb', outcomes: [], start: { eventId: b, stage: 's1', leaseOwner: 'wb', attempt: 1, startedAt: at(11) } },
      ]);
      assert.equal(results[0]?.ok, false);
      assert.ok(!results[0]?.ok && results[0]?.error instanceof LeaseLostError, 'the fenced write reports LeaseLostError');
      assert.equal(results[1]?.ok, true);
      assert.deepEqual(await ctx.store.getCheckpoints(a), [], 'nothing of the fenced write');
      assert.deepEqual(
        (await ctx.store.getCheckpoints(b)).map((c) => c.status),
        ['processing'],
      );
    });

    it('a write alone in its batch that is fenced or refused half-way fails in its result (the call resolves) and leaves nothing', async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      const [fenced] = await ctx.store.writeCheckpoints([{ eventId: a, leaseOwner: 'stale', outcomes: [success(a, 'stale', 's1', 10)] }]);
      assert.ok(fenced && !fenced.ok && fenced.error instanceof LeaseLostError, 'the fenced lone write reports LeaseLostError');
      // The outcome is valid; the finish's status breaks a CHECK constraint after it was written.
      const [refused] = await ctx.store.writeCheckpoints([
        {
          eventId: b,
          leaseOwner: 'wb',
          outcomes: [success(b, 'wb', 's1', 10)],
          finish: { eventId: b, leaseOwner: 'wb', status: 'bogus' as 'dead', now: at(12) },
        },
      ]);
      assert.equal(refused?.ok, false, 'the refused lone write reports its error');
      assert.deepEqual(await ctx.store.getCheckpoints(a), [], 'nothing of the fenced write');
      assert.deepEqual(await ctx.store.getCheckpoints(b), [], 'the refused write left no outcome behind');
      assert.equal((await ctx.store.getEvent(b))?.status, 'processing');
    });

    it('a write the database refuses half-way is rolled back whole, alone: its earlier parts are not kept', async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      const results = await ctx.store.writeCheckpoints([
        // The outcome is valid; the finish's status breaks a CHECK constraint after it was written.
        {
          eventId: a,
          leaseOwner: 'wa',
          outcomes: [success(a, 'wa', 's1', 10)],
          finish: { eventId: a, leaseOwner: 'wa', status: 'bogus' as 'dead', now: at(12) },
        },
        {
          eventId: b,
          leaseOwner: 'wb',
          outcomes: [success(b, 'wb', 's1', 10)],
          finish: { eventId: b, leaseOwner: 'wb', status: 'succeeded', now: at(12) },
        },
      ]);
      assert.deepEqual(
        results.map((r) => r.ok),
        [false, true],
      );
      assert.deepEqual(await ctx.store.getCheckpoints(a), [], 'the refused write left no outcome behind');
      assert.equal((await ctx.store.getEvent(a))?.status, 'processing');
      assert.equal((await ctx.store.getEvent(b))?.status, 'succeeded');
    });
  });
}
