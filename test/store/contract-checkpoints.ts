import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/core/errors.js';
import type { CheckpointRecord } from '../../src/core/types.js';
import { at, claim, insertAll, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

const byStage = (a: CheckpointRecord, b: CheckpointRecord) => a.stage.localeCompare(b.stage);

export function checkpointContract(ctx: ContractContext): void {
  describe('checkpoints', () => {
    /** Inserts an event and claims it for worker 'w' at T0. */
    async function heldEvent(overrides = {}): Promise<number> {
      const [id = 0] = await insertAll(ctx.store, [newEvent(overrides)]);
      const claimed = await claim(ctx.store, 'w', at(0), 10 * MINUTE);
      assert.equal(claimed?.id, id);
      return id;
    }

    it('recordStageStart marks the stage processing and opens an attempt in its history', async () => {
      const id = await heldEvent();
      await ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner: 'w', attempt: 1, startedAt: at(10) });
      const [checkpoint] = await ctx.store.getCheckpoints(id);
      assert.equal(checkpoint?.eventId, id);
      assert.equal(checkpoint?.stage, 'invoice');
      assert.equal(checkpoint?.status, 'processing');
      assert.equal(checkpoint?.attempts, 1);
      assert.deepEqual(checkpoint?.startedAt, at(10));
      assert.equal(checkpoint?.completedAt, null);
      assert.deepEqual(checkpoint?.history, [
        { attempt: 1, status: 'processing', startedAt: at(10), completedAt: null, durationMs: null, error: null, note: null },
      ]);
    });

    it('recordStageOutcome writes the checkpoint, its history, the summary patch and the logs together', async () => {
      const id = await heldEvent({
        summary: { customer: { name: 'Ana', email: 'ana@example.com' }, amount: 10, references: { payment: 'P-1' } },
      });
      await ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner: 'w', attempt: 1, startedAt: at(10) });
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'invoice',
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(10),
        completedAt: at(260),
        outcome: { status: 'success', data: { invoiceId: 'FV-1001', lines: [1, 2] } },
        summaryPatch: { customer: { documentId: '123' }, references: { invoice: 'FV-1001' }, product: { name: 'Plan' } },
        logs: [
          { at: at(100), level: 'info', stage: 'invoice', message: 'creating invoice', fields: { reference: 'P-1' } },
          { at: at(250), level: 'warn', stage: 'invoice', message: 'slow ERP', fields: null },
        ],
      });
      const [checkpoint] = await ctx.store.getCheckpoints(id);
      assert.equal(checkpoint?.status, 'success');
      assert.equal(checkpoint?.attempts, 1);
      assert.deepEqual(checkpoint?.startedAt, at(10));
      assert.deepEqual(checkpoint?.completedAt, at(260));
      assert.equal(checkpoint?.durationMs, 250);
      assert.deepEqual(checkpoint?.data, { invoiceId: 'FV-1001', lines: [1, 2] });
      assert.equal(checkpoint?.error, null);
      assert.equal(checkpoint?.skipReason, null);
      assert.deepEqual(checkpoint?.history, [
        { attempt: 1, status: 'success', startedAt: at(10), completedAt: at(260), durationMs: 250, error: null, note: null },
      ]);
      const event = await ctx.store.getEvent(id);
      assert.deepEqual(event?.summary, {
        customer: { name: 'Ana', email: 'ana@example.com', documentId: '123' },
        amount: 10,
        product: { name: 'Plan' },
        references: { payment: 'P-1', invoice: 'FV-1001' },
      });
      const logs = await ctx.store.getEventLogs(id);
      assert.deepEqual(logs, [
        { at: at(100), level: 'info', stage: 'invoice', attempt: null, message: 'creating invoice', fields: { reference: 'P-1' } },
        { at: at(250), level: 'warn', stage: 'invoice', attempt: null, message: 'slow ERP', fields: null },
      ]);
      const text = await ctx.store.listEvents({ text: 'fv-1001' });
      assert.deepEqual(
        text.items.map((e) => e.id),
        [id],
        'a reference added by a stage is searchable',
      );
    });

    it('merges product fields across patches: a later stage adds id and price, keeping the name', async () => {
      const id = await heldEvent({ summary: { product: { name: 'Membresía Elite', category: 'Membresías' }, amount: 250000 } });
      const outcome = async (stage: string, product: { name?: string; id?: string; price?: number }) => {
        await ctx.store.recordStageStart({ eventId: id, stage, leaseOwner: 'w', attempt: 1, startedAt: at(10) });
        await ctx.store.recordStageOutcome({
          eventId: id,
          stage,
          leaseOwner: 'w',
          attempt: 1,
          startedAt: at(10),
          completedAt: at(20),
          outcome: { status: 'success', data: null },
          summaryPatch: { product },
        });
      };
      await outcome('lookup', { id: 'PROD-ELITE', price: 250000 });
      await outcome('rename', { name: 'Membresía Elite (anual)' });
      const event = await ctx.store.getEvent(id);
      assert.deepEqual(event?.summary, {
        product: { name: 'Membresía Elite (anual)', category: 'Membresías', id: 'PROD-ELITE', price: 250000 },
        amount: 250000,
      });
    });

    it('keeps one history row per attempt: errors, a recovery note, then success', async () => {
      const id = await heldEvent();
      const error = { message: 'ERP timeout', code: 'TIMEOUT', retriable: true };
      await ctx.store.recordStageStart({ eventId: id, stage: 'dian', leaseOwner: 'w', attempt: 1, startedAt: at(0) });
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'dian',
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(0),
        completedAt: at(100),
        outcome: { status: 'error', error },
      });
      let [checkpoint] = await ctx.store.getCheckpoints(id);
      assert.equal(checkpoint?.status, 'error');
      assert.deepEqual(checkpoint?.error, error);
      // Attempt 2 started, then the worker died; attempt 3 recovers it.
      await ctx.store.recordStageStart({ eventId: id, stage: 'dian', leaseOwner: 'w', attempt: 2, startedAt: at(1_000) });
      await ctx.store.recordStageStart({
        eventId: id,
        stage: 'dian',
        leaseOwner: 'w',
        attempt: 3,
        startedAt: at(2_000),
        note: 'recovered: stage was left processing',
      });
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'dian',
        leaseOwner: 'w',
        attempt: 3,
        startedAt: at(2_000),
        completedAt: at(2_040),
        outcome: { status: 'success', data: 'CUFE-1' },
      });
      [checkpoint] = await ctx.store.getCheckpoints(id);
      assert.equal(checkpoint?.status, 'success');
      assert.equal(checkpoint?.attempts, 3);
      assert.equal(checkpoint?.error, null, 'a success clears the previous error');
      assert.equal(checkpoint?.data, 'CUFE-1');
      assert.deepEqual(
        checkpoint?.history.map((h) => [h.attempt, h.status, h.durationMs, h.error?.code ?? null, h.note]),
        [
          [1, 'error', 100, 'TIMEOUT', null],
          [2, 'processing', null, null, null],
          [3, 'success', 40, null, 'recovered: stage was left processing'],
        ],
      );
    });

    it('records a skip that never started as attempt 0 with its reason', async () => {
      const id = await heldEvent();
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'whatsapp',
        leaseOwner: 'w',
        attempt: 0,
        startedAt: null,
        completedAt: at(5),
        outcome: { status: 'skipped', skipReason: { kind: 'flag', flag: 'whatsapp_enabled', value: false } },
      });
      const [checkpoint] = await ctx.store.getCheckpoints(id);
      assert.equal(checkpoint?.status, 'skipped');
      assert.equal(checkpoint?.attempts, 0);
      assert.equal(checkpoint?.startedAt, null);
      assert.deepEqual(checkpoint?.completedAt, at(5));
      assert.equal(checkpoint?.durationMs, null);
      assert.deepEqual(checkpoint?.skipReason, { kind: 'flag', flag: 'whatsapp_enabled', value: false });
      assert.deepEqual(checkpoint?.history, [
        { attempt: 0, status: 'skipped', startedAt: at(5), completedAt: at(5), durationMs: null, error: null, note: null },
      ]);
    });

    it('reads checkpoints of many events at once', async () => {
      const [a = 0, b = 0, c = 0] = await insertAll(ctx.store, [newEvent(), newEvent(), newEvent()]);
      for (const [id, stages] of [
        [a, ['crm', 'invoice']],
        [b, ['invoice']],
      ] as const) {
        assert.equal((await claim(ctx.store, 'w', at(0)))?.id, id);
        for (const stage of stages) {
          await ctx.store.recordStageStart({ eventId: id, stage, leaseOwner: 'w', attempt: 1, startedAt: at(1) });
        }
      }
      const map = await ctx.store.getCheckpointsForEvents([a, b, c, 999_999]);
      assert.deepEqual(
        [...(map.get(a) ?? [])].sort(byStage).map((cp) => cp.stage),
        ['crm', 'invoice'],
      );
      assert.deepEqual(
        (map.get(b) ?? []).map((cp) => cp.stage),
        ['invoice'],
      );
      assert.deepEqual(map.get(c) ?? [], []);
      assert.deepEqual([...(map.get(a) ?? [])].sort(byStage), [...(await ctx.store.getCheckpoints(a))].sort(byStage));
      assert.equal((await ctx.store.getCheckpointsForEvents([])).size, 0);
    });

    it('resetStage sends one stage back to pending, keeps its history and queues the event', async () => {
      const id = await heldEvent();
      for (const stage of ['invoice', 'crm']) {
        await ctx.store.recordStageStart({ eventId: id, stage, leaseOwner: 'w', attempt: 1, startedAt: at(0) });
        await ctx.store.recordStageOutcome({
          eventId: id,
          stage,
          leaseOwner: 'w',
          attempt: 1,
          startedAt: at(0),
          completedAt: at(10),
          outcome: { status: 'success', data: { stage } },
        });
      }
      await ctx.store.finishEvent({ eventId: id, leaseOwner: 'w', status: 'succeeded', now: at(20) });
      await ctx.store.resetStage(id, 'crm', at(MINUTE));

      const checkpoints = [...(await ctx.store.getCheckpoints(id))].sort(byStage);
      assert.equal(checkpoints[0]?.stage, 'crm');
      assert.equal(checkpoints[0]?.status, 'pending');
      assert.equal(checkpoints[0]?.history.length, 1, 'history is kept');
      assert.equal(checkpoints[0]?.history[0]?.status, 'success');
      assert.equal(checkpoints[1]?.status, 'success', 'other stages are untouched');
      const event = await ctx.store.getEvent(id);
      assert.equal(event?.status, 'queued');
      assert.deepEqual(event?.nextAttemptAt, at(MINUTE));
      assert.equal((await claim(ctx.store, 'w2', at(MINUTE)))?.id, id);
    });

    it('resetStage of several stages resets exactly those, together, and queues the event once', async () => {
      const id = await heldEvent();
      for (const stage of ['invoice', 'accounting', 'dian', 'crm']) {
        await ctx.store.recordStageOutcome({
          eventId: id,
          stage,
          leaseOwner: 'w',
          attempt: 0,
          startedAt: null,
          completedAt: at(10),
          outcome:
            stage === 'crm'
              ? { status: 'success', data: null }
              : { status: 'skipped', skipReason: { kind: 'flag', flag: 'F', value: false } },
        });
      }
      await ctx.store.finishEvent({ eventId: id, leaseOwner: 'w', status: 'succeeded', now: at(20) });
      await ctx.store.resetStage(id, ['invoice', 'accounting', 'dian'], at(MINUTE));
      const statuses = Object.fromEntries((await ctx.store.getCheckpoints(id)).map((c) => [c.stage, [c.status, c.skipReason]]));
      assert.deepEqual(statuses, {
        invoice: ['pending', null],
        accounting: ['pending', null],
        dian: ['pending', null],
        crm: ['success', null],
      });
      assert.equal((await ctx.store.getEvent(id))?.status, 'queued');
    });

    it('resetStage refuses an event a worker holds a live lease on, and changes nothing', async () => {
      const id = await heldEvent();
      await ctx.store.recordStageStart({ eventId: id, stage: 'crm', leaseOwner: 'w', attempt: 1, startedAt: at(0) });
      const before = { event: await ctx.store.getEvent(id), checkpoints: await ctx.store.getCheckpoints(id) };
      await assert.rejects(
        ctx.store.resetStage(id, 'crm', at(MINUTE)),
        (err: unknown) => err instanceof StoreError && err.code === 'EVENT_BUSY',
      );
      assert.deepEqual({ event: await ctx.store.getEvent(id), checkpoints: await ctx.store.getCheckpoints(id) }, before);
      // The worker's writes still go through: its lease was not taken away.
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'crm',
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(0),
        completedAt: at(2 * MINUTE),
        outcome: { status: 'success', data: null },
      });
    });

    it('resetStage of an unknown event fails with EVENT_NOT_FOUND', async () => {
      await assert.rejects(
        ctx.store.resetStage(424_242, 'crm', at(0)),
        (err: unknown) => err instanceof StoreError && err.code === 'EVENT_NOT_FOUND',
      );
    });

    it('appends logs in order and reads them back', async () => {
      const [id = 0] = await insertAll(ctx.store, [newEvent()]);
      await ctx.store.appendEventLogs(id, [{ at: at(1), level: 'info', stage: null, message: 'received', fields: { bytes: 42 } }]);
      await ctx.store.appendEventLogs(id, [
        { at: at(2), level: 'error', stage: 'crm', message: 'CRM 500', fields: { status: 500 } },
        { at: at(2), level: 'debug', stage: 'crm', message: 'same instant, written after', fields: null },
      ]);
      await ctx.store.appendEventLogs(id, []);
      // A stage may log what a service answered, junk included.
      await ctx.store.appendEventLogs(id, [
        { at: at(3), level: 'warn', stage: 'crm', message: 'body: \u0000\ud800', fields: { raw: '\u0000' } },
      ]);
      assert.deepEqual(
        (await ctx.store.getEventLogs(id)).map((l) => [l.message, l.level, l.stage]),
        [
          ['received', 'info', null],
          ['CRM 500', 'error', 'crm'],
          ['same instant, written after', 'debug', 'crm'],
          ['body: \uFFFD\uFFFD', 'warn', 'crm'],
        ],
      );
      assert.deepEqual((await ctx.store.getEventLogs(id)).at(-1)?.fields, { raw: '\uFFFD' });
    });

    it('attemptSamples lists finished attempts since a time, for metrics', async () => {
      const id = await heldEvent();
      await ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner: 'w', attempt: 1, startedAt: at(0) });
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'invoice',
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(0),
        completedAt: at(300),
        outcome: { status: 'error', error: { message: 'x', retriable: true } },
      });
      await ctx.store.recordStageStart({ eventId: id, stage: 'invoice', leaseOwner: 'w', attempt: 2, startedAt: at(MINUTE) });
      await ctx.store.recordStageOutcome({
        eventId: id,
        stage: 'invoice',
        leaseOwner: 'w',
        attempt: 2,
        startedAt: at(MINUTE),
        completedAt: at(MINUTE + 120),
        outcome: { status: 'success', data: null },
      });
      await ctx.store.recordStageStart({ eventId: id, stage: 'crm', leaseOwner: 'w', attempt: 1, startedAt: at(MINUTE) });

      const all = await ctx.store.attemptSamples(at(0));
      assert.deepEqual(
        all.map((s) => [s.stage, s.status, s.durationMs]).sort(),
        [
          ['invoice', 'error', 300],
          ['invoice', 'success', 120],
        ],
        'unfinished attempts are not samples',
      );
      const recent = await ctx.store.attemptSamples(at(MINUTE));
      assert.deepEqual(
        recent.map((s) => [s.status, s.completedAt.getTime()]),
        [['success', T0plus(MINUTE + 120)]],
      );
      assert.equal((await ctx.store.attemptSamples(at(0), 1)).length, 1);
    });
  });

  describe('entity state', () => {
    it('is compare-and-set: a write that expected another state changes nothing', async () => {
      assert.equal(await ctx.store.getEntityState('pay:1'), null);
      const first = { entityKey: 'pay:1', state: 'pending', eventId: 1, occurredAt: at(0), expectedState: null, now: at(1) };
      assert.equal(await ctx.store.setEntityState(first), true);
      assert.equal(await ctx.store.setEntityState({ ...first, state: 'accepted' }), false, 'a row exists already');
      assert.equal(await ctx.store.setEntityState({ ...first, state: 'accepted', expectedState: 'rejected', eventId: 2 }), false);
      assert.deepEqual(await ctx.store.getEntityState('pay:1'), {
        entityKey: 'pay:1',
        state: 'pending',
        eventId: 1,
        occurredAt: at(0),
        updatedAt: at(1),
      });
      assert.equal(
        await ctx.store.setEntityState({
          ...first,
          state: 'accepted',
          expectedState: 'pending',
          eventId: 2,
          occurredAt: at(50),
          now: at(60),
        }),
        true,
      );
      assert.deepEqual(await ctx.store.getEntityState('pay:1'), {
        entityKey: 'pay:1',
        state: 'accepted',
        eventId: 2,
        occurredAt: at(50),
        updatedAt: at(60),
      });
    });
  });
}

function T0plus(ms: number): number {
  return at(ms).getTime();
}
