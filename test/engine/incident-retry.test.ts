/**
 * The incident of webhook 373 (seeds/incident-duplicate-invoices.md): a retry of an event
 * that already succeeded re-ran six stages and duplicated an invoice. These tests pin down
 * that retries resume from checkpoints, for every stage, with no opt-in.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { isWebpigError, PermanentError } from '../../src/core/errors.js';
import { retryEvent } from '../../src/engine/operations.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimAndRun, CountingStages, insert, memoryStore, MINUTE, TestClock } from '../helpers/engine-fixtures.js';

// The ten stages of the seeds' pipeline, in their order; each depends on the previous one.
const SEED_STAGES = [
  'invoice_extraction',
  'fr360_query',
  'callbell_notification',
  'membership_creation',
  'crm_management',
  'worldoffice_customer',
  'worldoffice_invoice_creation',
  'worldoffice_invoice_accounting',
  'strapi_cartera_update',
  'strapi_facturacion_creation',
];

describe('retries resume from checkpoints (incident webhook 373)', () => {
  let store: SqliteStore;
  let clock: TestClock;
  beforeEach(async () => {
    store = await memoryStore();
    clock = new TestClock();
  });
  afterEach(() => store.close());

  function seedPipeline(stages: CountingStages, failingStage: string, failures: number) {
    return definePipeline({
      name: 'facturador',
      match: () => true,
      stages: SEED_STAGES.map((name, i) =>
        stages.stage(name, { dependsOn: i === 0 ? [] : [SEED_STAGES[i - 1]!] }, (call) => {
          if (name === failingStage && call <= failures) throw new PermanentError('Contact email case mismatch');
          return { stage: name, call };
        }),
      ),
    });
  }

  it('a retry after success runs no stage, and a crash before the finish re-runs none either', async () => {
    const stages = new CountingStages();
    const pipeline = seedPipeline(stages, 'crm_management', 1);
    const id = await insert(store);

    const first = await claimAndRun(store, [pipeline], clock);
    assert.equal(first?.status, 'dead');
    assert.deepEqual(first?.stagesRun, SEED_STAGES.slice(0, 5));

    await retryEvent(store, id, 'ops@example.com', null, clock.now());
    const second = await claimAndRun(store, [pipeline], clock);
    assert.equal(second?.status, 'succeeded');
    assert.deepEqual(second?.stagesRun, SEED_STAGES.slice(4), 'the first retry runs crm_management and what follows');
    const afterFirstRetry = SEED_STAGES.map((s) => stages.count(s));

    // The second retry of the incident: refused for a succeeded event, and nothing runs.
    await assert.rejects(
      retryEvent(store, id, 'ops@example.com', null, clock.now()),
      (err: unknown) => isWebpigError(err) && err.code === 'NOT_RETRIABLE',
    );
    assert.equal(await claimAndRun(store, [pipeline], clock), null);
    assert.deepEqual(
      SEED_STAGES.map((s) => stages.count(s)),
      afterFirstRetry,
    );
    assert.deepEqual(afterFirstRetry, [1, 1, 1, 1, 2, 1, 1, 1, 1, 1]);

    // Even if the event is run again (a worker died before the event was finished), every
    // stage found `success` is not called. The last stage's outcome is written in one
    // transaction with the finish, so a crash just before that write finds the last stage
    // `processing`: it alone is resumed, with the same idempotency key.
    const id2 = await insert(store);
    const crashing = await claimAndRun(store, [pipeline], clock, {
      failpoint: (name) => {
        if (name === 'event:before-finish') throw new Error('simulated crash before finishEvent');
      },
    }).catch((err: unknown) => err);
    assert.match(String(crashing), /simulated crash/);
    const before = SEED_STAGES.map((s) => stages.count(s));
    clock.advance(2 * MINUTE); // the dead worker's lease expires
    const resumed = await claimAndRun(store, [pipeline], clock);
    assert.equal(resumed?.eventId, id2);
    assert.equal(resumed?.status, 'succeeded');
    const last = SEED_STAGES.at(-1)!;
    assert.deepEqual(resumed?.stagesRun, [last]);
    assert.deepEqual(
      SEED_STAGES.map((s) => stages.count(s)),
      before.map((n, i) => (SEED_STAGES[i] === last ? n + 1 : n)),
    );
    const lastCheckpoint = (await store.getCheckpoints(id2)).find((c) => c.stage === last);
    assert.deepEqual(
      lastCheckpoint?.history.map((h) => h.note),
      [null, 'resumed after interruption'],
    );
  });

  it('an event failing at stage k, retried, runs only stages >= k that had not succeeded', async () => {
    for (const k of [0, 3, 6, 9]) {
      const stages = new CountingStages();
      const pipeline = seedPipeline(stages, SEED_STAGES[k]!, 1);
      const id = await insert(store);
      const first = await claimAndRun(store, [pipeline], clock);
      assert.equal(first?.eventId, id);
      assert.equal(first?.status, 'dead');
      await retryEvent(store, id, 'ops@example.com', null, clock.now());
      const retried = await claimAndRun(store, [pipeline], clock);
      assert.equal(retried?.status, 'succeeded');
      assert.deepEqual(retried?.stagesRun, SEED_STAGES.slice(k), `failed at ${SEED_STAGES[k]}`);
      assert.deepEqual(
        SEED_STAGES.map((s) => stages.count(s)),
        SEED_STAGES.map((_, i) => (i === k ? 2 : 1)),
        `each stage ran once, the failed one twice (k=${k})`,
      );
      const checkpoints = await store.getCheckpoints(id);
      assert.ok(checkpoints.every((c) => c.status === 'success'));
    }
  });

  it('independent stages after a failure still run; a retry runs only the failed one', async () => {
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('a'),
        stages.stage('b', {}, (call) => {
          if (call === 1) throw new PermanentError('bad data');
        }),
        stages.stage('c'),
      ],
    });
    const id = await insert(store);
    assert.deepEqual((await claimAndRun(store, [pipeline], clock))?.stagesRun, ['a', 'b', 'c']);
    await retryEvent(store, id, 'ops', null, clock.now());
    assert.deepEqual((await claimAndRun(store, [pipeline], clock))?.stagesRun, ['b']);
    assert.deepEqual(
      ['a', 'b', 'c'].map((s) => stages.count(s)),
      [1, 2, 1],
    );
  });
  it('a skipped stage is final: a retry after the flag is back on does not run it', async () => {
    await store.ensureFlags([{ key: 'whatsapp', description: 'send WhatsApp', defaultValue: false }], clock.now());
    const stages = new CountingStages();
    const pipeline = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        stages.stage('notify', { flag: 'whatsapp' }),
        stages.stage('invoice', {}, (call) => {
          if (call === 1) throw new PermanentError('ERP down for maintenance');
        }),
      ],
    });
    const id = await insert(store);
    assert.equal((await claimAndRun(store, [pipeline], clock))?.status, 'dead');
    await store.setFlag({ key: 'whatsapp', value: true, actor: 'ops', now: clock.now() });
    await retryEvent(store, id, 'ops', null, clock.now());
    const retried = await claimAndRun(store, [pipeline], clock);
    assert.equal(retried?.status, 'succeeded');
    assert.deepEqual(retried?.stagesRun, ['invoice']);
    assert.equal(stages.count('notify'), 0);
    const notify = (await store.getCheckpoints(id)).find((c) => c.stage === 'notify');
    assert.deepEqual(notify?.skipReason, { kind: 'flag', flag: 'whatsapp', value: false }, 'the reason of the moment is kept');
  });
});
