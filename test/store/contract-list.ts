import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/core/errors.js';
import type { EventFilter } from '../../src/store/store.js';
import { at, claim, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

export function listContract(ctx: ContractContext): void {
  describe('listing events', () => {
    /** Ids listed for a filter, walking every page. */
    async function listedIds(filter: EventFilter, limit = 500): Promise<number[]> {
      const ids: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 1_000; page++) {
        const result = await ctx.store.listEvents(filter, { cursor, limit });
        ids.push(...result.items.map((e) => e.id));
        cursor = result.nextCursor;
        if (cursor === null) return ids;
      }
      throw new Error('pagination never ended');
    }

    it('walks every page newest first with no repeat and nothing missing', async () => {
      const ids = (await ctx.store.insertEvents(Array.from({ length: 23 }, () => newEvent()))).map((r) => r.event.id);
      const newestFirst = [...ids].sort((a, b) => b - a);
      assert.deepEqual(await listedIds({}, 5), newestFirst);
      assert.deepEqual(await listedIds({}, 23), newestFirst);
      const first = await ctx.store.listEvents({}, { limit: 23 });
      assert.equal(first.nextCursor, null, 'an exactly full last page has no next cursor');
      const byDefault = await ctx.store.listEvents({});
      assert.equal(byDefault.items.length, 23);
      assert.equal(await ctx.store.countEvents({}), 23);
    });

    it('gives at most 500 events a page, whatever the limit asked', async () => {
      await ctx.store.insertEvents(Array.from({ length: 501 }, () => newEvent()));
      const page = await ctx.store.listEvents({}, { limit: 10_000 });
      assert.equal(page.items.length, 500);
      assert.ok(page.nextCursor);
      const rest = await ctx.store.listEvents({}, { limit: 10_000, cursor: page.nextCursor });
      assert.equal(rest.items.length, 1);
      assert.equal(rest.nextCursor, null);
    });

    it('pages keep their place when new events arrive between pages', async () => {
      const ids = await insertAll(
        ctx.store,
        Array.from({ length: 6 }, () => newEvent()),
      );
      const page1 = await ctx.store.listEvents({}, { limit: 3 });
      await ctx.store.insertEvent(newEvent());
      const page2 = await ctx.store.listEvents({}, { limit: 3, cursor: page1.nextCursor });
      assert.deepEqual(
        [...page1.items, ...page2.items].map((e) => e.id),
        [...ids].reverse(),
      );
    });

    it('refuses a cursor it did not make (CURSOR_INVALID)', async () => {
      await assert.rejects(
        ctx.store.listEvents({}, { cursor: 'not-a-cursor' }),
        (err: unknown) => err instanceof StoreError && err.code === 'CURSOR_INVALID',
      );
    });

    it('filters by status, source, type, transaction status, entity key, pipeline and time', async () => {
      const [a, b, c, d] = await insertAll(ctx.store, [
        newEvent({ source: 'epayco', type: 'payment.updated', transactionStatus: 'accepted', entityKey: 'k1', receivedAt: at(0) }),
        newEvent({ source: 'stripe', type: 'charge.succeeded', transactionStatus: 'rejected', entityKey: 'k2', receivedAt: at(MINUTE) }),
        newEvent({ source: 'stripe', type: 'charge.refunded', transactionStatus: 'reversed', entityKey: null, receivedAt: at(2 * MINUTE) }),
        newEvent({ source: 'mercadopago', type: 'payment', transactionStatus: null, entityKey: 'k1', receivedAt: at(3 * MINUTE) }),
      ]);
      // Move b to succeeded with a pipeline, so status and pipeline filters have something to tell apart.
      const claimed = await claim(ctx.store, 'w', at(10 * MINUTE));
      assert.ok(claimed);
      await ctx.store.finishEvent({
        eventId: claimed.id,
        leaseOwner: 'w',
        status: 'succeeded',
        pipeline: 'facturador',
        now: at(10 * MINUTE),
      });

      const ids = async (filter: EventFilter) => (await ctx.store.listEvents(filter)).items.map((e) => e.id).sort((x, y) => x - y);
      assert.deepEqual(await ids({ source: 'stripe' }), [b, c]);
      assert.deepEqual(await ids({ type: 'charge.refunded' }), [c]);
      assert.deepEqual(await ids({ transactionStatus: 'rejected' }), [b]);
      assert.deepEqual(await ids({ entityKey: 'k1' }), [a, d]);
      assert.deepEqual(await ids({ status: 'succeeded' }), [claimed.id]);
      assert.deepEqual(await ids({ status: ['queued', 'succeeded'] }), [a, b, c, d]);
      assert.deepEqual(await ids({ status: [] }), [], 'an empty status list matches nothing');
      assert.deepEqual(await ids({ pipeline: 'facturador' }), [claimed.id]);
      assert.deepEqual(await ids({ since: at(MINUTE) }), [b, c, d]);
      assert.deepEqual(await ids({ until: at(MINUTE) }), [a]);
      assert.deepEqual(await ids({ since: at(MINUTE), until: at(3 * MINUTE), source: 'stripe' }), [b, c]);
      assert.equal(await ctx.store.countEvents({ source: 'stripe' }), 2);
      assert.equal(await ctx.store.countEvents({ since: at(MINUTE), until: at(3 * MINUTE) }), 2);
    });

    it('text search matches customer name, email, document id, references and provider id, ignoring case', async () => {
      const [ana, luis] = await insertAll(ctx.store, [
        newEvent({
          providerEventId: 'ref_payco_ABC123',
          summary: {
            customer: { name: 'Ana María Pérez', email: 'Ana@Example.com', documentId: '1020304050' },
            references: { invoice: 'FV-9001' },
          },
        }),
        newEvent({
          providerEventId: 'mp-555',
          summary: { customer: { name: 'Luis Gómez', email: 'luis@correo.co', documentId: '7788' }, references: { order: 'ORD-42' } },
        }),
      ]);
      const ids = async (text: string) => (await ctx.store.listEvents({ text })).items.map((e) => e.id).sort((x, y) => x - y);
      assert.deepEqual(await ids('maría pé'), [ana]);
      assert.deepEqual(await ids('MARÍA'), [ana]);
      assert.deepEqual(await ids('example.COM'), [ana]);
      assert.deepEqual(await ids('0304'), [ana]);
      assert.deepEqual(await ids('fv-90'), [ana]);
      assert.deepEqual(await ids('ord-42'), [luis]);
      assert.deepEqual(await ids('abc123'), [ana]);
      assert.deepEqual(await ids('MP-5'), [luis]);
      assert.deepEqual(await ids('gómez'), [luis]);
      assert.deepEqual(await ids('%'), [], 'LIKE wildcards are plain characters');
      assert.deepEqual(await ids('_'), [ana], 'only the provider id ref_payco_ABC123 has an underscore');
      assert.deepEqual(await ids('nadie'), []);
      assert.equal(await ctx.store.countEvents({ text: 'correo' }), 1);
    });

    it('filters by checkpoint status (optionally among stages) and by attempts', async () => {
      const [x, y] = await insertAll(ctx.store, [newEvent(), newEvent()]);
      assert.ok(x !== undefined && y !== undefined);
      for (const [eventId, stage, ok] of [
        [x, 'invoice', false],
        [y, 'crm', false],
      ] as const) {
        const claimed = await claim(ctx.store, 'w', at(0));
        assert.equal(claimed?.id, eventId);
        await ctx.store.recordStageStart({ eventId, stage, leaseOwner: 'w', attempt: 1, startedAt: at(0) });
        await ctx.store.recordStageOutcome({
          eventId,
          stage,
          leaseOwner: 'w',
          attempt: 1,
          startedAt: at(0),
          completedAt: at(10),
          outcome: ok ? { status: 'success', data: null } : { status: 'error', error: { message: 'boom', retriable: true } },
        });
        await ctx.store.finishEvent({ eventId, leaseOwner: 'w', status: 'retrying', nextAttemptAt: at(MINUTE), now: at(20) });
      }
      const ids = async (filter: EventFilter) => (await ctx.store.listEvents(filter)).items.map((e) => e.id).sort((p, q) => p - q);
      assert.deepEqual(await ids({ checkpoint: { status: 'error' } }), [x, y]);
      assert.deepEqual(await ids({ checkpoint: { status: 'error', stages: ['crm', 'dian'] } }), [y]);
      assert.deepEqual(await ids({ checkpoint: { status: 'success' } }), []);

      const again = await claim(ctx.store, 'w', at(MINUTE));
      assert.equal(again?.id, x);
      assert.equal(again?.attempts, 2);
      await ctx.store.finishEvent({ eventId: x, leaseOwner: 'w', status: 'retrying', nextAttemptAt: at(5 * MINUTE), now: at(MINUTE) });
      await ctx.store.requeueEvent(y, at(2 * MINUTE));
      assert.deepEqual(await ids({ minAttempts: 1 }), [x], 'x was attempted twice; y once, and retried by hand once');
      assert.deepEqual(await ids({ minAttempts: 0 }), [x, y]);
    });

    it('needsAttention: dead or retrying events, or any with a checkpoint in error', async () => {
      const [failedStage, dead, fine, queued] = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent(), newEvent()]);
      assert.ok(failedStage !== undefined && dead !== undefined && fine !== undefined && queued !== undefined);
      const run = async (eventId: number, stage: string, status: 'error' | 'success', finish: 'succeeded' | 'dead') => {
        const claimed = await claim(ctx.store, 'w', at(0));
        assert.equal(claimed?.id, eventId);
        await ctx.store.recordStageStart({ eventId, stage, leaseOwner: 'w', attempt: 1, startedAt: at(0) });
        await ctx.store.recordStageOutcome({
          eventId,
          stage,
          leaseOwner: 'w',
          attempt: 1,
          startedAt: at(0),
          completedAt: at(10),
          outcome: status === 'success' ? { status, data: null } : { status, error: { message: 'boom', retriable: false } },
        });
        await ctx.store.finishEvent({ eventId, leaseOwner: 'w', status: finish, now: at(20) });
      };
      // An error checkpoint on a finished event still needs a look; a dead event with no
      // failed checkpoint (its pipeline code threw) needs one too.
      await run(failedStage, 'crm', 'error', 'succeeded');
      await run(dead, 'crm', 'success', 'dead');
      await run(fine, 'crm', 'success', 'succeeded');
      const ids = async (filter: EventFilter) => (await ctx.store.listEvents(filter)).items.map((e) => e.id).sort((p, q) => p - q);
      assert.deepEqual(await ids({ needsAttention: true }), [failedStage, dead]);
      assert.deepEqual(await ids({ needsAttention: true, status: 'dead' }), [dead]);
      assert.equal(await ctx.store.countEvents({ needsAttention: true }), 2);
      assert.deepEqual(await ids({ needsAttention: false }), [failedStage, dead, fine, queued]);
    });
  });
}
