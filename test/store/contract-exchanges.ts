import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError } from '../../src/core/errors.js';
import type { HttpExchange } from '../../src/core/types.js';
import { at, claim, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

const DAY = 24 * 60 * MINUTE;

/** A call as the engine hands it over: already redacted and capped (engine/stage-recorder.ts). */
function exchange(status: number | null, when: Date): HttpExchange {
  return {
    at: when,
    request: {
      method: 'POST',
      url: 'https://erp.example/invoices?api_key=[redacted]',
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
      body: '{\n  "reference": "R-1"\n}',
      bodyTruncated: false,
    },
    response:
      status === null
        ? null
        : { status, headers: { 'content-type': 'application/json' }, body: `{"status":${status}}`, bodyTruncated: status === 201 },
    error: status === null ? 'fetch failed' : null,
    durationMs: 42,
  };
}

/**
 * What stage attempts sent and received: stored with the attempt's outcome (same transaction,
 * same lease fence), read back per stage and attempt, deleted with their event by retention.
 */
export function exchangeContract(ctx: ContractContext): void {
  describe('stage exchanges', () => {
    async function heldEvent(when = at(0)): Promise<number> {
      const [id = 0] = await insertAll(ctx.store, [newEvent({ receivedAt: when, occurredAt: when })]);
      const claimed = await claim(ctx.store, 'w', when, 10 * MINUTE);
      assert.equal(claimed?.id, id);
      return id;
    }

    async function attempt(id: number, n: number, when: Date, outcome: 'error' | 'success', exchanges: HttpExchange[], leaseOwner = 'w') {
      await ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner, attempt: n, startedAt: when });
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'invoice',
        leaseOwner,
        attempt: n,
        startedAt: when,
        completedAt: new Date(when.getTime() + 100),
        outcome:
          outcome === 'error'
            ? { status: 'error', error: { message: 'ERP 503', retriable: true, httpStatus: 503 } }
            : { status: 'success', data: { id: 'FV-1' } },
        logs: [{ at: when, level: 'info', stage: 'invoice', attempt: n, message: `attempt ${n}`, fields: null }],
        exchanges,
      });
    }

    it('stores each attempt’s exchanges and log lines with its outcome and reads them back per stage and attempt', async () => {
      const id = await heldEvent();
      await attempt(id, 1, at(10), 'error', [exchange(null, at(11)), exchange(503, at(12))]);
      await attempt(id, 2, at(20), 'success', [exchange(201, at(21))]);
      const stored = await ctx.store.getStageExchanges(id);
      assert.deepEqual(stored, [
        { stage: 'invoice', attempt: 1, ...exchange(null, at(11)) },
        { stage: 'invoice', attempt: 1, ...exchange(503, at(12)) },
        { stage: 'invoice', attempt: 2, ...exchange(201, at(21)) },
      ]);
      assert.deepEqual(
        (await ctx.store.getEventLogs(id)).map((line) => [line.attempt, line.message]),
        [
          [1, 'attempt 1'],
          [2, 'attempt 2'],
        ],
      );
      assert.deepEqual(await ctx.store.getStageExchanges(987_654), [], 'an unknown event has none');
    });

    it('a checkpoint batch (the engine\u2019s group commit) keeps each outcome\u2019s exchanges and its log lines\u2019 attempt', async () => {
      const [a = 0, b = 0] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      await ctx.store.claimNextEvents({ workerIds: ['wa', 'wb'], leaseMs: MINUTE, now: at(0) });
      const outcome = (eventId: number, leaseOwner: string, status: number) => ({
        eventId,
        stage: 'invoice',
        leaseOwner,
        attempt: 2,
        startedAt: at(10),
        completedAt: at(20),
        outcome: { status: 'success' as const, data: { id: 'FV-1' } },
        logs: [{ at: at(15), level: 'info' as const, stage: 'invoice', attempt: 2, message: `made ${eventId}`, fields: null }],
        exchanges: [exchange(status, at(12))],
      });
      const results = await ctx.store.writeCheckpoints([
        { eventId: a, leaseOwner: 'wa', outcomes: [outcome(a, 'wa', 201)] },
        { eventId: b, leaseOwner: 'wb', outcomes: [outcome(b, 'wb', 200)] },
      ]);
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, true],
      );
      assert.deepEqual(await ctx.store.getStageExchanges(a), [{ stage: 'invoice', attempt: 2, ...exchange(201, at(12)) }]);
      assert.deepEqual(await ctx.store.getStageExchanges(b), [{ stage: 'invoice', attempt: 2, ...exchange(200, at(12)) }]);
      assert.deepEqual(
        (await ctx.store.getEventLogs(b)).map((line) => [line.attempt, line.message]),
        [[2, `made ${b}`]],
      );
    });

    it('an outcome refused by the lease fence stores none of its exchanges', async () => {
      const id = await heldEvent();
      await assert.rejects(attempt(id, 1, at(10), 'success', [exchange(201, at(11))], 'someone-else'), LeaseLostError);
      assert.deepEqual(await ctx.store.getStageExchanges(id), []);
    });

    it('retention deletes an event’s exchanges with it', async () => {
      const id = await heldEvent();
      await attempt(id, 1, at(10), 'success', [exchange(201, at(11))]);
      await ctx.store.finishEvent({ eventId: id, leaseOwner: 'w', status: 'succeeded', now: at(200) });
      assert.equal((await ctx.store.getStageExchanges(id)).length, 1);
      assert.equal(await ctx.store.purgeBatch('succeededEvents', at(30 * DAY), 500), 1);
      assert.deepEqual(await ctx.store.getStageExchanges(id), [], 'its exchanges went with it');
      assert.deepEqual(await ctx.store.getEventLogs(id), []);
    });
  });
}
