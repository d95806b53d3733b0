import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventStatus, IgnoreReason, SkipReason } from '../../src/core/types.js';
import type { NewEvent, Store } from '../../src/store/store.js';
import { at, claim, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

/** The home page's counts and sums (eventTotals) and "mark as handled" (markEventHandled). */
export function homeContract(ctx: ContractContext): void {
  /** Inserts one event and finishes it with `status` (claimed at t, finished at t + 1 s). */
  async function eventWith(
    status: Extract<EventStatus, 'succeeded' | 'dead' | 'ignored' | 'retrying'>,
    event: NewEvent,
    t = 0,
    ignoreReason?: IgnoreReason,
    skips: SkipReason[] = [],
  ) {
    const { event: stored } = await ctx.store.insertEvent(event);
    const claimed = await claim(ctx.store, 'w', at(t + 1_000));
    assert.equal(claimed?.id, stored.id);
    for (const [i, skipReason] of skips.entries()) {
      const stage = `stage_${i}`;
      await ctx.store.recordStageStart({ eventId: stored.id, stage, leaseOwner: 'w', attempt: 1, startedAt: at(t + 1_000) });
      await ctx.store.recordStageOutcome({
        eventId: stored.id,
        stage,
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(t + 1_000),
        completedAt: at(t + 1_100),
        outcome: { status: 'skipped', skipReason },
      });
    }
    await ctx.store.finishEvent({
      eventId: stored.id,
      leaseOwner: 'w',
      status,
      now: at(t + 2_000),
      ...(status === 'retrying' ? { nextAttemptAt: at(t + 10 * MINUTE) } : {}),
      ...(ignoreReason ? { ignoreReason } : {}),
    });
    return stored.id;
  }
  const money = (amount: number | undefined, currency = 'COP') =>
    newEvent({ summary: { ...(amount === undefined ? {} : { amount }), currency, customer: { name: 'x' } } });

  describe('home totals and mark as handled', () => {
    it('sums amounts by status, ignore reason and currency; events without an amount count but add nothing', async () => {
      await eventWith('succeeded', money(100_000));
      await eventWith('succeeded', money(50_500.5));
      await eventWith('dead', money(20_000));
      await eventWith('succeeded', money(30, 'USD'));
      await eventWith('ignored', money(undefined), 0, { kind: 'not_applicable', detail: 'a refund' });
      await eventWith('ignored', money(7_000), 0, { kind: 'no_pipeline', detail: 'no match' });
      await ctx.store.insertEvent(money(1_000)); // still queued
      const totals = await ctx.store.eventTotals({});
      const key = (t: { status: string; ignoreKind: string | null; currency: string | null }) =>
        `${t.status}/${t.ignoreKind ?? '-'}/${t.currency ?? '-'}`;
      const byKey = new Map(totals.map((t) => [key(t), { events: t.events, amount: t.amount }]));
      assert.deepEqual(Object.fromEntries(byKey), {
        'dead/-/COP': { events: 1, amount: 20_000 },
        'ignored/no_pipeline/COP': { events: 1, amount: 7_000 },
        'ignored/not_applicable/COP': { events: 1, amount: 0 },
        'queued/-/COP': { events: 1, amount: 1_000 },
        'succeeded/-/COP': { events: 2, amount: 150_500.5 },
        'succeeded/-/USD': { events: 1, amount: 30 },
      });
    });

    it('counts events per source in one query, with the filter applied; sources with none left out', async () => {
      await insertAll(ctx.store, [
        newEvent({ source: 'stripe' }),
        newEvent({ source: 'stripe' }),
        newEvent({ source: 'old_shop' }),
        newEvent({ source: 'epayco', receivedAt: at(-MINUTE) }),
      ]);
      assert.deepEqual(await ctx.store.countEventsBySource({ since: at(0), until: at(MINUTE) }), [
        { source: 'old_shop', count: 1 },
        { source: 'stripe', count: 2 },
      ]);
      assert.deepEqual(await ctx.store.countEventsBySource({ source: 'epayco' }), [{ source: 'epayco', count: 1 }]);
      assert.deepEqual(await ctx.store.countEventsBySource({ since: at(MINUTE) }), []);
    });

    it('lists each source that has stored events once, in order; none in an empty store', async () => {
      assert.deepEqual(await ctx.store.listEventSources(), []);
      await insertAll(ctx.store, [
        newEvent({ source: 'stripe' }),
        newEvent({ source: 'old_shop' }),
        newEvent({ source: 'stripe' }),
        newEvent({ source: 'epayco' }),
      ]);
      assert.deepEqual(await ctx.store.listEventSources(), ['epayco', 'old_shop', 'stripe']);
    });

    it("reads many events' summaries at once; an id with no event is left out", async () => {
      const [a, b] = await insertAll(ctx.store, [
        newEvent({ summary: { customer: { name: 'Ana' }, amount: 10, currency: 'COP' } }),
        newEvent({ summary: {} }),
      ]);
      const summaries = await ctx.store.getEventSummaries([a!, b!, a!, 999_999]);
      assert.deepEqual(
        [...summaries.entries()].sort(([x], [y]) => x - y),
        [
          [a, { customer: { name: 'Ana' }, amount: 10, currency: 'COP' }],
          [b, {}],
        ],
      );
      assert.equal((await ctx.store.getEventSummaries([])).size, 0);
    });

    it('applies the event filter (transaction status, received window)', async () => {
      await eventWith('succeeded', money(100_000));
      await eventWith('succeeded', { ...money(999), transactionStatus: 'rejected' });
      await eventWith('succeeded', { ...money(5), receivedAt: at(-2 * MINUTE) });
      const totals = await ctx.store.eventTotals({ transactionStatus: 'accepted', since: at(-MINUTE), until: at(MINUTE) });
      assert.deepEqual(
        totals.map((t) => [t.status, t.events, t.amount]),
        [['succeeded', 1, 100_000]],
      );
    });

    it('tells handled dead events and events with a stage switched off by a flag apart, and filters by them and by currency', async () => {
      const flagOff: SkipReason = { kind: 'flag', flag: 'WORLDOFFICE_DIAN_ENABLED', value: false };
      const allRan = await eventWith('succeeded', money(100_000));
      const dianOff = await eventWith('succeeded', money(40_000), 0, undefined, [flagOff]);
      // A stage skipped for another reason (its dependency, a condition) is not a switched-off one.
      const notNeeded = await eventWith('succeeded', money(1_000), 0, undefined, [
        { kind: 'dependency', stage: 'crm', status: 'skipped' },
        { kind: 'condition', detail: 'no phone' },
      ]);
      const deadFlagOff = await eventWith('dead', money(7, 'USD'), 0, undefined, [flagOff]);
      const dead = await eventWith('dead', money(20_000));
      const handled = await eventWith('dead', money(5_000));
      assert.equal(await ctx.store.markEventHandled({ eventId: handled, actor: 'a', reason: 'refunded', now: at(5 * MINUTE) }), 'handled');

      const key = (t: { status: string; currency: string | null; handled: boolean; stagesOff: boolean }) =>
        `${t.status}/${t.currency ?? '-'}${t.handled ? '/handled' : ''}${t.stagesOff ? '/stagesOff' : ''}`;
      const totals = async (options?: { stagesOff?: boolean }) =>
        Object.fromEntries((await ctx.store.eventTotals({}, options)).map((t) => [key(t), [t.events, t.amount]]));
      assert.deepEqual(await totals({ stagesOff: true }), {
        'dead/COP': [1, 20_000],
        'dead/COP/handled': [1, 5_000],
        'dead/USD': [1, 7],
        'succeeded/COP': [2, 101_000],
        'succeeded/COP/stagesOff': [1, 40_000],
      });
      // Not asked: no checkpoint look-up, succeeded events in one group.
      assert.deepEqual((await totals())['succeeded/COP'], [3, 141_000]);

      const ids = async (filter: Parameters<Store['listEvents']>[0]) => {
        const page = await ctx.store.listEvents(filter);
        assert.equal(await ctx.store.countEvents(filter), page.items.length);
        return page.items.map((e) => e.id).sort((a, b) => a - b);
      };
      assert.deepEqual(await ids({ stagesOff: true }), [dianOff, deadFlagOff]);
      assert.deepEqual(await ids({ status: 'succeeded', stagesOff: false }), [allRan, notNeeded]);
      assert.deepEqual(await ids({ handled: true }), [handled]);
      assert.deepEqual(await ids({ status: ['dead', 'retrying'], handled: false }), [deadFlagOff, dead]);
      assert.deepEqual(await ids({ currency: 'USD' }), [deadFlagOff]);
      assert.deepEqual(await ids({ currency: 'COP', status: 'dead' }), [dead, handled]);
      assert.deepEqual(await ids({ currency: 'MXN' }), []);
    });

    it('marks a dead event handled: logged, no longer unhandled, pinned again once it changes', async () => {
      const dead = await eventWith('dead', money(20_000));
      const other = await eventWith('dead', money(10_000));
      assert.equal(await ctx.store.countEvents({ status: 'dead', handled: false }), 2);
      const result = await ctx.store.markEventHandled({
        eventId: dead,
        actor: 'ana@example.com',
        reason: 'refunded by hand',
        now: at(5 * MINUTE),
      });
      assert.equal(result, 'handled');
      const unhandled = await ctx.store.listEvents({ status: 'dead', handled: false });
      assert.deepEqual(
        unhandled.items.map((e) => e.id),
        [other],
      );
      const logs = await ctx.store.getEventLogs(dead);
      const line = logs.find((l) => l.fields?.['action'] === 'handled');
      assert.equal(line?.message, 'marked as handled by ana@example.com: refunded by hand');
      assert.deepEqual(line?.fields, { action: 'handled', by: 'ana@example.com', reason: 'refunded by hand' });
      // A retry changes the event after it was handled: it needs someone again if it dies again.
      await ctx.store.requeueEvent(dead, at(6 * MINUTE));
      assert.equal(await ctx.store.countEvents({ status: 'queued', handled: false }), 1);
    });

    it('refuses to mark an event that is not dead, or does not exist, and changes nothing', async () => {
      const ok = await eventWith('succeeded', money(1));
      assert.equal(await ctx.store.markEventHandled({ eventId: ok, actor: 'a', reason: 'r', now: at(MINUTE) }), 'not_dead');
      assert.equal(await ctx.store.markEventHandled({ eventId: 999_999, actor: 'a', reason: 'r', now: at(MINUTE) }), 'not_found');
      assert.deepEqual(await ctx.store.getEventLogs(ok), []);
      assert.equal(await ctx.store.countEvents({ handled: false }), 1);
    });
  });
}
