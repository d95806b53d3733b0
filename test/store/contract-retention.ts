import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventStatus } from '../../src/core/types.js';
import { at, claim, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

const DAY = 24 * 60 * MINUTE;

/**
 * Retention: only succeeded and ignored events older than the cut-off (with their checkpoints,
 * attempts and logs) and old rejected deliveries are ever deleted, in batches.
 */
export function retentionContract(ctx: ContractContext): void {
  /** One event in `status`, last changed at `when`, with a checkpoint, an attempt and a log line. */
  async function eventIn(status: EventStatus, when: Date): Promise<number> {
    const { event } = await ctx.store.insertEvent(newEvent({ receivedAt: when, occurredAt: when }));
    if (status === 'queued') return event.id;
    const claimed = await claim(ctx.store, 'w', when);
    assert.equal(claimed?.id, event.id, 'the fixture claims the event it just inserted');
    const stage = `stage-${event.id}`;
    await ctx.store.recordStageStart({ eventId: event.id, stage, leaseOwner: 'w', attempt: 1, startedAt: when });
    await ctx.store.recordStageOutcome({
      eventId: event.id,
      stage,
      leaseOwner: 'w',
      attempt: 1,
      startedAt: when,
      completedAt: when,
      outcome: { status: 'success', data: { n: event.id } },
      logs: [{ at: when, level: 'info', stage, message: 'done', fields: null }],
    });
    if (status === 'processing') return event.id;
    await ctx.store.finishEvent({
      eventId: event.id,
      leaseOwner: 'w',
      status,
      now: when,
      nextAttemptAt: status === 'retrying' ? new Date(when.getTime() + 1000 * DAY) : null,
      ignoreReason: status === 'ignored' ? { kind: 'no_pipeline', detail: 'no pipeline matched' } : null,
      lastError: status === 'dead' ? { message: 'ERP refused', code: 'E', retriable: false } : null,
    });
    return event.id;
  }

  async function counts(before: Date) {
    return {
      succeededEvents: await ctx.store.countPurgeable('succeededEvents', before),
      ignoredEvents: await ctx.store.countPurgeable('ignoredEvents', before),
      rejectedDeliveries: await ctx.store.countPurgeable('rejectedDeliveries', before),
    };
  }

  describe('retention', () => {
    it('counts and deletes only old succeeded and ignored events and old rejections; never unfinished ones or the audit log', async () => {
      const old = at(0);
      const recent = await eventIn('succeeded', at(60 * DAY));
      const ids = {} as Record<EventStatus, number>;
      // In this order, each claim takes the event just inserted. The processing one holds a
      // lease taken at `old`: it has not finished, however old it is.
      for (const status of ['dead', 'retrying', 'succeeded', 'ignored', 'processing', 'queued'] as const) {
        ids[status] = await eventIn(status, old);
      }
      await ctx.store.appendAudit({ actor: 'ana@example.com', action: 'event.retry', target: `event:${ids.dead}`, at: old });
      for (const offset of [0, 1, 2]) {
        await ctx.store.recordRejection({
          at: at(offset),
          source: 'stripe',
          httpStatus: 401,
          reason: 'bad signature',
          remoteAddress: null,
          firstBytes: '{}',
        });
      }
      await ctx.store.recordRejection({
        at: at(60 * DAY),
        source: 'stripe',
        httpStatus: 401,
        reason: 'bad signature',
        remoteAddress: null,
        firstBytes: '{}',
      });
      const cutoff = at(30 * DAY);

      assert.deepEqual(await counts(cutoff), { succeededEvents: 1, ignoredEvents: 1, rejectedDeliveries: 3 });
      assert.equal(await ctx.store.purgeBatch('succeededEvents', cutoff, 500), 1);
      assert.equal(await ctx.store.purgeBatch('ignoredEvents', cutoff, 500), 1);
      assert.equal(await ctx.store.purgeBatch('rejectedDeliveries', cutoff, 500), 3);
      assert.deepEqual(await counts(cutoff), { succeededEvents: 0, ignoredEvents: 0, rejectedDeliveries: 0 });

      for (const gone of [ids.succeeded, ids.ignored]) {
        assert.equal(await ctx.store.getEvent(gone), null, `event ${gone} is deleted`);
        assert.deepEqual(await ctx.store.getCheckpoints(gone), [], 'its checkpoints went with it');
        assert.deepEqual(await ctx.store.getEventLogs(gone), [], 'its logs went with it');
      }
      const samples = (await ctx.store.attemptSamples(at(-1))).map((s) => s.stage).sort();
      const kept = [ids.dead, ids.retrying, ids.processing, recent].map((id) => `stage-${id}`).sort();
      assert.deepEqual(samples, kept, 'the attempts of deleted events went with them; the others stay');
      for (const status of ['dead', 'retrying', 'queued', 'processing'] as const) {
        assert.equal((await ctx.store.getEvent(ids[status]))?.status, status, `the ${status} event is untouched`);
      }
      assert.equal((await ctx.store.getEvent(recent))?.status, 'succeeded', 'a recent succeeded event stays');
      assert.equal((await ctx.store.getCheckpoints(ids.dead)).length, 1, "a dead event's checkpoints stay");
      assert.equal((await ctx.store.listAudit({})).items.length, 1, 'the audit log is never purged');
      assert.deepEqual(
        (await ctx.store.listRejections()).map((r) => r.at),
        [at(60 * DAY)],
      );
    });

    it('deletes at most `limit` rows a batch, oldest first, until none are left', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await eventIn('succeeded', at(i * MINUTE)));
      const cutoff = at(DAY);
      assert.deepEqual(
        [
          await ctx.store.purgeBatch('succeededEvents', cutoff, 2),
          await ctx.store.purgeBatch('succeededEvents', cutoff, 2),
          await ctx.store.purgeBatch('succeededEvents', cutoff, 2),
          await ctx.store.purgeBatch('succeededEvents', cutoff, 2),
        ],
        [2, 2, 1, 0],
      );
      assert.equal(await ctx.store.countEvents({}), 0);
    });

    it('the cut-off is the last change: an old event finished recently is kept', async () => {
      const { event } = await ctx.store.insertEvent(newEvent({ receivedAt: at(0), occurredAt: at(0) }));
      await claim(ctx.store, 'w', at(40 * DAY));
      await ctx.store.finishEvent({ eventId: event.id, leaseOwner: 'w', status: 'succeeded', now: at(40 * DAY) });
      assert.equal(await ctx.store.countPurgeable('succeededEvents', at(30 * DAY)), 0);
      assert.equal(await ctx.store.purgeBatch('succeededEvents', at(30 * DAY), 500), 0);
      assert.equal((await ctx.store.getEvent(event.id))?.status, 'succeeded');
    });
  });
}
