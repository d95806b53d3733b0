/**
 * Bulk retry and re-run: the preview lists exactly the stages the run then runs (counted calls),
 * filters combine, bad filters change nothing, and a re-run brings along the stages its skip
 * had blocked.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline, type PipelineDefinition } from '../../src/core/pipeline.js';
import { PermanentError, RetriableError, WebpigError } from '../../src/core/errors.js';
import { previewBulk, runBulk, type BulkFilter, type BulkPreview } from '../../src/engine/bulk-actions.js';
import { planStageRerun, rerunStage } from '../../src/engine/operations.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, CountingStages, insert, memoryStore, MINUTE, T0, TestClock } from '../helpers/engine-fixtures.js';

const stamp = (clock: TestClock, reason = 'ERP back up') => ({ actor: 'ana@example.com', remoteAddress: null, at: clock.now(), reason });
const planned = (preview: BulkPreview, action: 'run' | 'skip' | 'done') =>
  Object.fromEntries(preview.events.map((e) => [e.eventId, e.plan.stages.filter((s) => s.action === action).map((s) => s.stage)]));

/** invoice → accounting → dian, and crm beside them. `failing` stages throw with their code. */
function pipelineWith(stages: CountingStages, failing: Map<string, string>, flag?: string): PipelineDefinition {
  const fail = (name: string) => () => {
    const code = failing.get(name);
    if (code) throw new PermanentError(`${name} broke`, { code });
    return { done: name };
  };
  return definePipeline({
    name: 'facturador',
    match: () => true,
    stages: [
      stages.stage('invoice', flag ? { flag } : {}, fail('invoice')),
      stages.stage('accounting', { dependsOn: ['invoice'] }, fail('accounting')),
      stages.stage('dian', { dependsOn: ['accounting'] }, fail('dian')),
      stages.stage('crm', {}, fail('crm')),
    ],
  });
}

describe('bulk actions', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  it('the preview lists exactly the stages the retry runs, and the run changes only those', async () => {
    const stages = new CountingStages();
    const failing = new Map([['accounting', 'HTTP_500']]);
    const pipeline = pipelineWith(stages, failing);
    const dead = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    assert.equal((await store.getEvent(dead))?.status, 'dead');

    const preview = await previewBulk(store, [pipeline], { filter: { status: ['dead'] } });
    assert.equal(preview.count, 1);
    assert.deepEqual(planned(preview, 'run'), { [dead]: ['accounting', 'dian'] });
    assert.deepEqual(planned(preview, 'done'), { [dead]: ['invoice', 'crm'] });
    const before = Object.fromEntries((await store.getCheckpoints(dead)).map((c) => [c.stage, c.attempts]));

    failing.clear();
    const result = await runBulk(store, [pipeline], { filter: { status: ['dead'] } }, stamp(clock));
    assert.deepEqual(result.queued, [{ eventId: dead, stages: ['accounting', 'dian'] }]);
    const run = await claimAndRun(store, [pipeline], clock);
    assert.deepEqual(run?.stagesRun, ['accounting', 'dian'], 'the run ran what the preview listed');
    assert.deepEqual(
      ['invoice', 'accounting', 'dian', 'crm'].map((s) => stages.count(s)),
      [1, 2, 1, 1],
    );
    const after = Object.fromEntries((await store.getCheckpoints(dead)).map((c) => [c.stage, c.attempts]));
    assert.equal(after.invoice, before.invoice, 'done stages untouched');
    assert.equal(after.crm, before.crm, 'done stages untouched');
    const [audit] = (await store.listAudit({ action: 'event.retry' })).items;
    assert.equal(audit?.details?.reason, 'ERP back up');
    assert.ok((await store.getEventLogs(dead)).some((l) => l.message === 'retry by ana@example.com: ERP back up'));
  });

  it('filters by status, source, stage that failed, error code and dates, alone and combined', async () => {
    const stages = new CountingStages();
    const failing = new Map<string, string>();
    const pipeline = pipelineWith(stages, failing);
    const make = async (source: string, stage: string, code: string, day: number) => {
      failing.clear();
      failing.set(stage, code);
      const id = await insert(store, { source, receivedAt: new Date(T0 + day * 24 * 60 * MINUTE) });
      clock.ms = T0 + day * 24 * 60 * MINUTE + MINUTE;
      await claimAndRun(store, [pipeline], clock);
      return id;
    };
    const a = await make('epayco', 'accounting', 'HTTP_404', 0);
    const b = await make('epayco', 'dian', 'DIAN_REJECTED', 1);
    const c = await make('stripe', 'accounting', 'TIMEOUT', 2);
    const d = await make('stripe', 'crm', 'HTTP_404', 3);
    const ids = async (filter: BulkFilter) => (await previewBulk(store, [pipeline], { filter })).events.map((e) => e.eventId).sort();
    const day = (n: number) => new Date(T0 + n * 24 * 60 * MINUTE);

    assert.deepEqual(await ids({ status: ['dead'] }), [a, b, c, d]);
    assert.deepEqual(await ids({ source: 'stripe' }), [c, d]);
    assert.deepEqual(await ids({ stage: 'accounting' }), [a, c]);
    assert.deepEqual(await ids({ code: 'HTTP_404' }), [a, d]);
    assert.deepEqual(await ids({ code: 'http_404', stage: 'accounting' }), [a]);
    assert.deepEqual(await ids({ stage: 'accounting', source: 'stripe' }), [c]);
    assert.deepEqual(await ids({ since: day(1), until: day(3) }), [b, c]);
    assert.deepEqual(await ids({ since: day(1), code: 'HTTP_404' }), [d]);
    assert.deepEqual(await ids({ pipeline: 'facturador', status: ['retrying'] }), []);
    assert.deepEqual(await ids({ code: 'NOPE' }), []);
  });

  it('marks the events whose last error is permanent, as the one-event retry warns of them', async () => {
    const stages = new CountingStages();
    const failing = new Map<string, string>();
    let retriable = false;
    const pipeline = definePipeline({
      name: 'facturador',
      match: () => true,
      retry: { delaysMs: [] },
      stages: [
        stages.stage('invoice', {}, () => {
          const code = failing.get('invoice');
          if (code && retriable) throw new RetriableError('invoice: ERP down', { code });
          if (code) throw new PermanentError('invoice: rejected', { code });
          return {};
        }),
      ],
    });
    const make = async (code: string, isRetriable: boolean) => {
      failing.set('invoice', code);
      retriable = isRetriable;
      const id = await insert(store);
      await claimAndRun(store, [pipeline], clock);
      assert.equal((await store.getEvent(id))?.status, 'dead');
      return id;
    };
    const rejected = await make('HTTP_422', false);
    const down = await make('HTTP_503', true);
    const preview = await previewBulk(store, [pipeline], { filter: {} });
    assert.deepEqual(Object.fromEntries(preview.events.map((e) => [e.eventId, e.permanentError])), { [rejected]: true, [down]: false });
  });

  it('refuses bad filters with what is wrong, and changes nothing', async () => {
    const stages = new CountingStages();
    const pipeline = pipelineWith(stages, new Map([['invoice', 'HTTP_500']]));
    const id = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    const cases: [Parameters<typeof runBulk>[2], RegExp][] = [
      [{ filter: { status: ['succeeded'] } }, /^status: only dead or retrying events can be retried, not succeeded/],
      [{ filter: { status: ['exploded' as never] } }, /^status: unknown status "exploded"/],
      [{ filter: { stage: 'nope' } }, /^stage: unknown stage "nope" \(known: invoice, accounting, dian, crm\)/],
      [{ filter: { pipeline: 'other' } }, /^pipeline: unknown pipeline "other"/],
      [{ filter: { code: 'DROP TABLE' } }, /^code: "DROP TABLE" is not an error code/],
      [{ filter: { since: new Date('nope') } }, /^since: not a date/],
      [{ filter: { since: new Date(T0), until: new Date(T0) } }, /^since: must be before until/],
      [{ filter: {}, rerun: 'nope' }, /^rerun: unknown stage "nope"/],
    ];
    const invalid = (message: RegExp) => (err: unknown) =>
      err instanceof WebpigError && err.code === 'INVALID_ARGUMENT' && message.test(err.message);
    for (const [request, message] of cases) {
      await assert.rejects(previewBulk(store, [pipeline], request), invalid(message));
      await assert.rejects(runBulk(store, [pipeline], request, stamp(clock)), invalid(message));
    }
    assert.equal((await store.getEvent(id))?.status, 'dead');
    assert.equal((await store.listAudit({})).items.length, 0);
  });

  it('the run acts only on the events the person saw: others the filter now finds are left alone', async () => {
    const stages = new CountingStages();
    const pipeline = pipelineWith(stages, new Map([['crm', 'HTTP_500']]));
    const seen = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    const preview = await previewBulk(store, [pipeline], { filter: { status: ['dead'] } });
    const arrivedLater = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    const result = await runBulk(
      store,
      [pipeline],
      { filter: { status: ['dead'] } },
      stamp(clock),
      preview.events.map((e) => e.eventId),
    );
    assert.deepEqual(
      result.queued.map((q) => q.eventId),
      [seen],
    );
    assert.equal((await store.getEvent(arrivedLater))?.status, 'dead');
    const again = await runBulk(store, [pipeline], { filter: { status: ['dead'] } }, stamp(clock), [seen]);
    assert.deepEqual(
      again.refused.map((r) => r.code),
      ['NO_LONGER_SELECTED'],
      'queued since: no longer dead',
    );
  });

  it('re-running a stage skipped by its flag brings along the stages its skip blocked, once each', async () => {
    const stages = new CountingStages();
    const pipeline = pipelineWith(stages, new Map(), 'INVOICE_ON');
    await store.ensureFlags([{ key: 'INVOICE_ON', description: 'x', defaultValue: false }], clock.now());
    const id = await insert(store);
    const other = await insert(store);
    await claimAndRun(store, [pipeline], clock);
    await claimAndRun(store, [pipeline], clock);
    const skipped = Object.fromEntries((await store.getCheckpoints(id)).map((c) => [c.stage, c.skipReason?.kind ?? c.status]));
    assert.deepEqual(skipped, { invoice: 'flag', accounting: 'dependency', dian: 'dependency', crm: 'success' });

    // Flag still off: the preview says the re-run would be skipped again, for the true reason.
    const stillOff = await planStageRerun(store, [pipeline], id, 'invoice');
    assert.deepEqual(
      stillOff.plan.stages.map((s) => `${s.stage}:${s.action}:${s.skipReason?.kind ?? s.cause ?? ''}`),
      ['invoice:skip:flag', 'accounting:skip:dependency', 'dian:skip:dependency', 'crm:done:'],
    );

    await store.setFlag({ key: 'INVOICE_ON', value: true, actor: 'ana', reason: 'ERP back', now: clock.now() });
    const single = await planStageRerun(store, [pipeline], id, 'invoice');
    assert.deepEqual(
      single.plan.stages.map((s) => `${s.stage}:${s.action}:${s.cause ?? ''}`),
      ['invoice:run:requested', 'accounting:run:follows', 'dian:run:follows', 'crm:done:'],
    );
    await rerunStage(store, [pipeline], id, 'invoice', 'ana@example.com', null, clock.now(), 'invoice flag back on');
    assert.deepEqual((await claimAndRun(store, [pipeline], clock))?.stagesRun, ['invoice', 'accounting', 'dian']);

    // The other event, in bulk, with the same plan.
    const preview = await previewBulk(store, [pipeline], { filter: { status: ['succeeded'] }, rerun: 'invoice' });
    assert.deepEqual(planned(preview, 'run'), { [other]: ['invoice', 'accounting', 'dian'] });
    assert.deepEqual(preview.excluded, [{ reason: 'already_succeeded', count: 1 }]);
    await runBulk(store, [pipeline], { filter: { status: ['succeeded'] }, rerun: 'invoice' }, stamp(clock));
    assert.deepEqual((await claimAndRun(store, [pipeline], clock))?.stagesRun, ['invoice', 'accounting', 'dian']);
    assert.deepEqual(
      ['invoice', 'accounting', 'dian', 'crm'].map((s) => stages.count(s)),
      [2, 2, 2, 2],
      'once per event each',
    );
    for (const eventId of [id, other]) {
      assert.ok((await store.getCheckpoints(eventId)).every((c) => c.status === 'success'));
    }
    const audits = (await store.listAudit({ action: 'stage.rerun' })).items;
    assert.deepEqual(audits.map((a) => [a.details?.following, a.details?.reason]).sort(), [
      [['accounting', 'dian'], 'ERP back up'],
      [['accounting', 'dian'], 'invoice flag back on'],
    ]);
  });
});
