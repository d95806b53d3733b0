/**
 * The checkpoint protocol for one stage: durable processing first, reconcile after an
 * interruption, flags read at stage start, conditions, dependencies, summary and logs.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline, type StageContext } from '../../src/core/pipeline.js';
import { PermanentError } from '../../src/core/errors.js';
import type { EventSummary, JsonValue } from '../../src/core/types.js';
import { HttpCallError } from '../../src/engine/errors.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, CountingStages, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

describe('checkpoint protocol', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('marks the stage processing, durably, before the stage function runs', async () => {
    let seen: string | undefined;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'invoice',
          run: async (ctx) => {
            const cp = (await store.getCheckpoints(ctx.event.id)).find((c) => c.stage === 'invoice');
            seen = `${cp?.status}/${cp?.attempts}/${cp?.startedAt?.getTime()}`;
            return { ok: true };
          },
        },
      ],
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    assert.equal(seen, `processing/1/${clock.ms}`);
    // On return: success with the data, completion time and duration, and a history row.
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.status, 'success');
    assert.deepEqual(cp?.data, { ok: true });
    assert.equal(cp?.completedAt?.getTime(), clock.ms);
    assert.equal(cp?.durationMs, 0);
    assert.deepEqual(
      cp?.history.map((h) => [h.attempt, h.status]),
      [[1, 'success']],
    );
  });

  it('a stage left processing by a dead worker is reconciled: the effect is found and run is not called', async () => {
    const effects = new Map<string, JsonValue>(); // what the external system holds, by key
    let runs = 0;
    let reconciles = 0;
    const keys: string[] = [];
    const invoice = {
      name: 'invoice',
      reconcile: async (ctx: StageContext) => {
        reconciles += 1;
        keys.push(ctx.idempotencyKey);
        return effects.get(ctx.idempotencyKey);
      },
      run: async (ctx: StageContext) => {
        runs += 1;
        keys.push(ctx.idempotencyKey);
        const record = { invoice: 25290 };
        effects.set(ctx.idempotencyKey, record);
        return record;
      },
    };
    const pipeline = definePipeline({ name: 'p', match: () => true, stages: [invoice] });
    const id = await insert(store);
    // The worker dies after the effect, before the outcome is written.
    const crashed = await claimAndRun(store, [pipeline], clock, {
      failpoint: (name) => {
        if (name === 'invoice:after-run') throw new Error('worker died');
      },
    }).catch((err: unknown) => err);
    assert.match(String(crashed), /worker died/);
    assert.equal((await store.getCheckpoints(id))[0]?.status, 'processing');

    clock.advance(2 * MINUTE);
    const resumed = await claimAndRun(store, [pipeline], clock);
    assert.equal(resumed?.status, 'succeeded');
    assert.equal(runs, 1, 'run was not called again');
    assert.equal(reconciles, 1);
    assert.equal(new Set(keys).size, 1, 'one idempotency key for every call');
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.status, 'success');
    assert.deepEqual(cp?.data, { invoice: 25290 });
    assert.equal(cp?.attempts, 2);
    assert.ok(
      cp?.history.some((h) => h.note === 'recovered by reconcile'),
      JSON.stringify(cp?.history),
    );
  });

  it('reconcile finding nothing re-runs the stage with the same key, noted in the history', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [{ ...stages.stage('crm'), reconcile: async () => undefined }],
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock, {
      failpoint: (name) => {
        if (name === 'crm:before-run') throw new Error('worker died');
      },
    }).catch(() => undefined);
    clock.advance(2 * MINUTE);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.equal(stages.count('crm'), 1);
    const [cp] = await store.getCheckpoints(id);
    assert.ok(
      cp?.history.some((h) => h.note === 'resumed after interruption'),
      JSON.stringify(cp?.history),
    );
  });

  it('a stage interrupted on every attempt its policy allows ends dead, not in an endless crash loop', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({ name: 'p', match: () => true, stages: [stages.stage('oom', { retry: { delaysMs: [0] } })] });
    const id = await insert(store);
    const dies = {
      failpoint: (name: string) => {
        if (name === 'oom:before-run') throw new Error('worker died');
      },
    };
    for (let i = 0; i < 2; i++) {
      await claimAndRun(store, [pipeline], clock, dies).catch(() => undefined);
      clock.advance(2 * MINUTE);
    }
    const result = await claimAndRun(store, [pipeline], clock, dies);
    assert.equal(result?.status, 'dead');
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.status, 'error');
    assert.equal(cp?.error?.code, 'INTERRUPTED_TOO_OFTEN');
    assert.equal(cp?.attempts, 2);
    assert.equal((await store.listAlerts()).items[0]?.kind, 'dead');
  });

  it('after a retriable error ("effect done, reply failed") reconcile runs before the stage again', async () => {
    let created = 0;
    let reconciled = 0;
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'cartera',
          retry: { delaysMs: [0] },
          reconcile: async () => {
            reconciled += 1;
            return created > 0 ? { found: created } : undefined;
          },
          run: async () => {
            created += 1; // the receiver did it...
            throw new HttpCallError(502, 'bad gateway'); // ...but the reply was lost
          },
        },
      ],
    });
    await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'retrying');
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    assert.equal(created, 1);
    assert.equal(reconciled, 1);
  });

  it('a flag flipped off between two events skips the stage for the second, with the reason', async () => {
    await store.ensureFlags([{ key: 'whatsapp', description: 'send WhatsApp', defaultValue: true }], clock.now());
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [stages.stage('invoice'), stages.stage('notify', { flag: 'whatsapp' })],
    });
    const first = await insert(store);
    const second = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.eventId, first);
    await store.setFlag({ key: 'whatsapp', value: false, actor: 'ops', now: clock.now() });
    const run2 = await claimAndRun(store, [pipeline], clock);
    assert.equal(run2?.eventId, second);
    assert.equal(run2?.status, 'succeeded');
    assert.equal(stages.count('notify'), 1);
    const notify = (await store.getCheckpoints(second)).find((c) => c.stage === 'notify');
    assert.equal(notify?.status, 'skipped');
    assert.deepEqual(notify?.skipReason, { kind: 'flag', flag: 'whatsapp', value: false });
    assert.equal((await store.getCheckpoints(first)).find((c) => c.stage === 'notify')?.status, 'success');
  });

  it('a when() condition skips with its reason; a skipped dependency skips its dependents', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('membership', { when: () => 'not a membership product' }),
        stages.stage('welcome', { dependsOn: ['membership'] }),
        stages.stage('ledger'),
      ],
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    const byStage = new Map((await store.getCheckpoints(id)).map((c) => [c.stage, c]));
    assert.deepEqual(byStage.get('membership')?.skipReason, { kind: 'condition', detail: 'not a membership product' });
    assert.deepEqual(byStage.get('welcome')?.skipReason, { kind: 'dependency', stage: 'membership', status: 'skipped' });
    assert.equal(byStage.get('ledger')?.status, 'success');
    assert.equal(stages.count('membership') + stages.count('welcome'), 0);
  });

  it('a when() condition may say why by language; the checkpoint keeps both and the English as its detail', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('fulfilment', { when: () => ({ es: 'solo se despacha un pedido pagado', en: 'only a paid order is fulfilled' }) }),
        stages.stage('ledger', { when: () => false }),
      ],
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'succeeded');
    const byStage = new Map((await store.getCheckpoints(id)).map((c) => [c.stage, c]));
    assert.deepEqual(byStage.get('fulfilment')?.skipReason, {
      kind: 'condition',
      detail: 'only a paid order is fulfilled',
      texts: { es: 'solo se despacha un pedido pagado', en: 'only a paid order is fulfilled' },
    });
    assert.deepEqual(byStage.get('ledger')?.skipReason, { kind: 'condition', detail: 'when() returned false' });
    assert.equal(stages.count('fulfilment'), 0);
  });

  it('a stage whose dependency failed is not run, stays pending and says why', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('wo_invoice', {}, () => {
          throw new PermanentError('customer has no document id', { code: 'NO_DOCUMENT' });
        }),
        stages.stage('dian', { dependsOn: ['wo_invoice'] }),
        stages.stage('crm'),
      ],
    });
    const id = await insert(store);
    const result = await claimAndRun(store, [pipeline], clock);
    assert.equal(result?.status, 'dead');
    assert.equal(stages.count('dian'), 0);
    assert.equal(stages.count('crm'), 1, 'an independent stage still ran');
    const byStage = new Map((await store.getCheckpoints(id)).map((c) => [c.stage, c]));
    assert.equal(byStage.get('wo_invoice')?.error?.code, 'NO_DOCUMENT');
    assert.equal(byStage.get('wo_invoice')?.error?.retriable, false);
    assert.ok(byStage.get('dian') === undefined || byStage.get('dian')?.status === 'pending');
    const logs = await store.getEventLogs(id);
    assert.ok(
      logs.some((l) => l.stage === 'dian' && /dependency "wo_invoice" is error/.test(l.message)),
      JSON.stringify(logs),
    );
  });

  it('annotate() and stage logs are stored with the outcome', async () => {
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'extract',
          run: async (ctx) => {
            ctx.annotate({ customer: { name: 'Ana' }, amount: 403125, currency: 'COP' });
            ctx.annotate({ customer: { email: 'ana@example.com' } });
            ctx.log.info('extracted', { invoiceId: 'FV-1' });
          },
        },
        { name: 'after', run: async (ctx) => ({ sawName: ctx.summary.customer?.name ?? null }) },
      ],
    });
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    const event = await store.getEvent(id);
    assert.deepEqual(event?.summary.customer, { name: 'Ana', email: 'ana@example.com' });
    assert.equal(event?.summary.amount, 403125);
    assert.deepEqual((await store.getCheckpoints(id)).find((c) => c.stage === 'after')?.data, { sawName: 'Ana' });
    const logs = await store.getEventLogs(id);
    assert.ok(logs.some((l) => l.stage === 'extract' && l.message === 'extracted' && l.fields?.invoiceId === 'FV-1'));
  });

  it('a bad annotate() fails the stage with the field named and changes no summary field', async () => {
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        {
          name: 'extract',
          retry: { delaysMs: [] },
          run: async (ctx) => {
            ctx.annotate({ product: { name: 'Curso' } });
            ctx.annotate({ customer: { email: undefined }, amount: '403125' } as unknown as EventSummary);
          },
        },
      ],
    });
    const id = await insert(store, { summary: { customer: { email: 'ana@example.com' } } });
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead');
    const [cp] = await store.getCheckpoints(id);
    assert.equal(cp?.error?.code, 'SUMMARY_INVALID');
    assert.match(cp?.error?.message ?? '', /amount must be a finite number, got string/);
    const summary = (await store.getEvent(id))?.summary;
    assert.equal(summary?.amount, undefined);
    assert.equal(summary?.customer?.email, 'ana@example.com');
  });

  it("a throwing when() is that stage's error; a throwing match() makes the event dead, not abandoned", async () => {
    const stages = new CountingStages();
    const conditional = definePipeline({
      name: 'p',
      match: (e) => e.type !== 'boom',
      stages: [
        stages.stage('x', {
          retry: { delaysMs: [] },
          when: () => {
            throw new Error('bad condition');
          },
        }),
        stages.stage('y'),
      ],
    });
    const broken = definePipeline({
      name: 'broken',
      match: (e) => {
        if (e.type === 'boom') throw new Error('match bug');
        return false;
      },
      stages: [stages.stage('z')],
    });
    const id = await insert(store);
    const result = await claimAndRun(store, [conditional], clock);
    assert.equal(result?.status, 'dead');
    const x = (await store.getCheckpoints(id)).find((c) => c.stage === 'x');
    assert.equal(x?.status, 'error');
    assert.match(x?.error?.message ?? '', /when\(\) threw: bad condition/);
    assert.equal(stages.count('x'), 0);
    assert.equal(stages.count('y'), 1);

    const boom = await insert(store, { type: 'boom' });
    const dead = await claimAndRun(store, [broken, conditional], clock);
    assert.equal(dead?.status, 'dead');
    assert.equal((await store.getEvent(boom))?.lastError?.code, 'PIPELINE_CODE_ERROR');
    assert.equal((await store.getEvent(boom))?.leaseOwner, null);
  });

  it('no matching pipeline, or notApplicable, ignores the event with the reason and runs nothing', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'accepted-only',
      match: (e) => e.source === 'epayco',
      notApplicable: (e) =>
        e.transactionStatus === 'rejected'
          ? 'payment rejected'
          : e.transactionStatus === 'pending'
            ? { es: 'pago pendiente', en: 'payment pending' }
            : undefined,
      stages: [stages.stage('invoice')],
    });
    const stripe = await insert(store, { source: 'stripe' });
    const rejected = await insert(store, { transactionStatus: 'rejected' });
    const pending = await insert(store, { transactionStatus: 'pending' });
    for (let i = 0; i < 3; i++) await claimAndRun(store, [pipeline], clock);
    assert.equal(stages.count('invoice'), 0);
    assert.equal((await store.getEvent(stripe))?.ignoreReason?.kind, 'no_pipeline');
    assert.deepEqual((await store.getEvent(rejected))?.ignoreReason, { kind: 'not_applicable', detail: 'payment rejected' });
    assert.equal((await store.getEvent(rejected))?.status, 'ignored');
    // A reason in both languages is kept whole; its English is the one-line detail logs print.
    assert.deepEqual((await store.getEvent(pending))?.ignoreReason, {
      kind: 'not_applicable',
      detail: 'payment pending',
      texts: { es: 'pago pendiente', en: 'payment pending' },
    });
  });
});
