import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError } from '../../src/core/errors.js';
import type { HttpExchange } from '../../src/core/types.js';
import type { CheckpointWrite, Store } from '../../src/store/store.js';
import { at, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

/**
 * A checkpoint batch writes what the single calls write: every field of the outcome, the
 * attempt history, the summary merge and its search text, logs, exchanges, the finish's kept
 * and cleared fields. (On PostgreSQL the batch is one SQL function and the single calls are
 * separate statements: two implementations, held to one result here.)
 */
export function checkpointBatchParityContract(ctx: ContractContext): void {
  describe('checkpoint batches write what the single calls write', () => {
    const exchange: HttpExchange = {
      at: at(7),
      request: {
        method: 'POST',
        url: 'https://api.example/invoices',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
        bodyTruncated: false,
      },
      response: { status: 201, headers: {}, body: '{"id":"F-1"}', bodyTruncated: false },
      error: null,
      durationMs: 12,
    };

    /** Stage s1 starts, fails, starts again, succeeds with a patch, logs and an exchange; s2 is skipped; then the finish. */
    function writesFor(eventId: number, owner: string, finish: CheckpointWrite['finish']): CheckpointWrite[] {
      return [
        { eventId, leaseOwner: owner, outcomes: [], start: { eventId, stage: 's1', leaseOwner: owner, attempt: 1, startedAt: at(5) } },
        {
          eventId,
          leaseOwner: owner,
          outcomes: [
            {
              eventId,
              stage: 's1',
              leaseOwner: owner,
              attempt: 1,
              startedAt: at(5),
              completedAt: at(6),
              outcome: { status: 'error', error: { message: 'boom', code: 'X', retriable: true, httpStatus: 503 } },
              logs: [{ at: at(6), level: 'warn', stage: 's1', attempt: 1, message: 'first try failed', fields: { try: 1 } }],
            },
          ],
          start: { eventId, stage: 's1', leaseOwner: owner, attempt: 2, startedAt: at(7), note: 'again' },
        },
        {
          eventId,
          leaseOwner: owner,
          outcomes: [
            {
              eventId,
              stage: 's1',
              leaseOwner: owner,
              attempt: 2,
              startedAt: at(7),
              completedAt: at(9),
              outcome: { status: 'success', data: { invoice: 'F-1', nothing: null } },
              summaryPatch: { customer: { email: 'NEW@Example.com' }, references: { invoice: 'F-1' } },
              logs: [{ at: at(8), level: 'info', stage: 's1', attempt: 2, message: 'invoiced \u0000', fields: null }],
              exchanges: [exchange],
              note: 'done',
            },
            {
              eventId,
              stage: 's2',
              leaseOwner: owner,
              attempt: 0,
              startedAt: null,
              completedAt: at(10),
              outcome: { status: 'skipped', skipReason: { kind: 'flag', flag: 'f', value: false } },
              summaryPatch: { amount: 5 },
            },
          ],
          ...(finish ? { finish } : {}),
        },
      ];
    }

    async function applySingly(store: Store, writes: CheckpointWrite[]): Promise<void> {
      for (const write of writes) {
        for (const outcome of write.outcomes) await store.recordStageOutcome(outcome);
        if (write.start) await store.recordStageStart(write.start);
        if (write.finish) await store.finishEvent(write.finish);
      }
    }

    async function readBack(store: Store, eventId: number) {
      const event = await store.getEvent(eventId);
      const checkpoints = (await store.getCheckpoints(eventId)).map((c) => ({ ...c, eventId: 0, attempts: c.attempts }));
      const found = await store.listEvents({ text: 'new@example.com' });
      return {
        checkpoints,
        logs: await store.getEventLogs(eventId),
        exchanges: await store.getStageExchanges(eventId),
        summary: event?.summary,
        status: event?.status,
        lastError: event?.lastError,
        pipeline: event?.pipeline,
        nextAttemptAt: event?.nextAttemptAt,
        foundByNewEmail: found.items.some((e) => e.id === eventId),
      };
    }

    for (const finishKind of ['retrying, keeping the error and pipeline', 'succeeded, clearing them'] as const) {
      it(`an error, a retry, a success with patch, logs and exchange, a skip, a finish ${finishKind}`, async () => {
        const first = newEvent();
        const [batched = 0, single = 0] = await insertAll(ctx.store, [first, newEvent({ summary: first.summary })]);
        // A first run leaves an error and a pipeline behind, for the finish below to keep or clear.
        await ctx.store.claimNextEvents({ workerIds: ['wb0', 'ws0'], leaseMs: MINUTE, now: at(0) });
        for (const [eventId, owner] of [
          [batched, 'wb0'],
          [single, 'ws0'],
        ] as const) {
          await ctx.store.finishEvent({
            eventId,
            leaseOwner: owner,
            status: 'retrying',
            nextAttemptAt: at(1),
            lastError: { message: 'earlier', retriable: true },
            pipeline: 'p',
            now: at(1),
          });
        }
        await ctx.store.claimNextEvents({ workerIds: ['wb', 'ws'], leaseMs: MINUTE, now: at(2) });
        const finish = (eventId: number, owner: string): CheckpointWrite['finish'] =>
          finishKind.startsWith('retrying')
            ? { eventId, leaseOwner: owner, status: 'retrying', nextAttemptAt: at(60_000), now: at(11) }
            : { eventId, leaseOwner: owner, status: 'succeeded', lastError: null, pipeline: null, now: at(11) };
        for (const write of writesFor(batched, 'wb', finish(batched, 'wb'))) {
          const [result] = await ctx.store.writeCheckpoints([write]);
          assert.equal(result?.ok, true);
        }
        await applySingly(ctx.store, writesFor(single, 'ws', finish(single, 'ws')));
        const [a, b] = [await readBack(ctx.store, batched), await readBack(ctx.store, single)];
        assert.deepEqual(a, b);
        assert.equal(a.foundByNewEmail, true, 'the merged summary is searchable');
        assert.deepEqual(a.summary?.customer?.email, 'NEW@Example.com');
        assert.equal(a.summary?.customer?.name, 'Ana María Pérez', 'merged field by field');
        if (finishKind.startsWith('retrying')) assert.deepEqual([a.lastError?.message, a.pipeline], ['earlier', 'p'], 'kept');
        else assert.deepEqual([a.lastError, a.pipeline], [null, null], 'cleared');
      });
    }

    it('the same writes batched across events, and two writes of one event in one call, write what the single calls write', async () => {
      const first = newEvent();
      const ids = await insertAll(ctx.store, [first, ...[1, 2, 3].map(() => newEvent({ summary: first.summary }))]);
      const [a = 0, b = 0, c = 0, single = 0] = ids;
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb', 'wc', 'ws'], leaseMs: MINUTE, now: at(2) });
      const finish = (eventId: number, owner: string): CheckpointWrite['finish'] => ({
        eventId,
        leaseOwner: owner,
        status: 'retrying',
        nextAttemptAt: at(60_000),
        now: at(11),
      });
      const [writesA, writesB, writesC] = [
        writesFor(a, 'wa', finish(a, 'wa')),
        writesFor(b, 'wb', finish(b, 'wb')),
        writesFor(c, 'wc', finish(c, 'wc')),
      ];
      // Write k of two events in one call (each kind of part of the batch goes together), against
      // write k applied singly to a third event: the same, write after write.
      const writesSingle = writesFor(single, 'ws', finish(single, 'ws'));
      for (let k = 0; k < writesA.length; k++) {
        const results = await ctx.store.writeCheckpoints([writesA[k]!, writesB[k]!]);
        assert.deepEqual(
          results.map((r) => r.ok),
          [true, true],
        );
        await applySingly(ctx.store, [writesSingle[k]!]);
        const expected = await readBack(ctx.store, single);
        for (const id of [a, b]) assert.deepEqual(await readBack(ctx.store, id), expected, `event ${id} after write ${k}`);
      }
      // One event's start and its next write (an outcome of that stage, a start of it again) in one call: in order.
      const results = await ctx.store.writeCheckpoints(writesC.slice(0, 2));
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, true],
      );
      assert.equal((await ctx.store.writeCheckpoints(writesC.slice(2)))[0]?.ok, true);
      assert.deepEqual(await readBack(ctx.store, c), await readBack(ctx.store, single));
    });

    it('a fenced write in the middle of a batch of three fails alone', async () => {
      const [a = 0, b = 0, c = 0] = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb', 'wc'], leaseMs: MINUTE, now: at(0) });
      const start = (eventId: number, owner: string): CheckpointWrite => ({
        eventId,
        leaseOwner: owner,
        outcomes: [],
        start: { eventId, stage: 's1', leaseOwner: owner, attempt: 1, startedAt: at(5) },
      });
      const results = await ctx.store.writeCheckpoints([start(c, 'wc'), start(b, 'stale'), start(a, 'wa')]);
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, false, true],
      );
      assert.ok(!results[1]?.ok && results[1]?.error instanceof LeaseLostError);
      assert.deepEqual(await ctx.store.getCheckpoints(b), []);
      for (const id of [a, c])
        assert.deepEqual(
          (await ctx.store.getCheckpoints(id)).map((x) => x.status),
          ['processing'],
        );
    });

    it('a finish that puts its event back in the queue wakes the store’s listeners; one that ends it does not', async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      let wakes = 0;
      const unsubscribe = ctx.store.onWake(() => {
        wakes += 1;
      });
      try {
        // PostgreSQL wakes its listeners once when its LISTEN is in place (see wake.ts): let that pass.
        await (ctx.store as Store & { wakeReady?: () => Promise<void> }).wakeReady?.();
        const before = wakes;
        await ctx.store.writeCheckpoints([
          { eventId: a, leaseOwner: 'wa', outcomes: [], finish: { eventId: a, leaseOwner: 'wa', status: 'succeeded', now: at(5) } },
        ]);
        assert.equal(wakes, before, 'a success wakes no one');
        await ctx.store.writeCheckpoints([
          {
            eventId: b,
            leaseOwner: 'wb',
            outcomes: [],
            finish: { eventId: b, leaseOwner: 'wb', status: 'retrying', nextAttemptAt: at(6), now: at(5) },
          },
        ]);
        assert.ok(wakes > before, 'a retry wakes');
      } finally {
        unsubscribe();
      }
    });
  });
}
