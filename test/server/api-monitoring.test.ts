import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventRecord } from '../../src/core/types.js';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { at, json, MINUTE, PEOPLE, seedEvent, startApi, withCsrf, type Harness } from './api-harness.js';

interface Computed {
  id: number;
  computed: boolean;
  kind: string;
  eventId: number | null;
  payment: Record<string, unknown> | null;
  stage: string | null;
  message: string;
  details: Record<string, unknown> | null;
}

describe('alerts, metrics, audit, rejections, compatibility', () => {
  let h: Harness;
  let dead: EventRecord, retried: EventRecord, stuck: EventRecord, ok: EventRecord;
  before(async () => {
    h = await startApi();
    // Six WorldOffice attempts, five failing: an error rate far over the 0.2 threshold.
    for (let i = 0; i < 5; i++) {
      await seedEvent(h.store, {
        stages: [{ stage: 'worldoffice_invoice_creation', status: 'error', durationMs: 30_000 }],
        finalStatus: 'retrying',
      });
    }
    ok = await seedEvent(h.store, {
      summary: {
        customer: { name: 'Juan Pérez', documentId: '1234567890', email: 'juan@example.com', phone: '573001234567' },
        product: { name: 'Membresía Elite', id: 'PROD-123', category: 'Membresías', price: 240_000 },
        amount: 250_000,
        currency: 'COP',
        references: { invoice: 'INV-20250127-001' },
      },
      stages: [
        { stage: 'membership_creation', status: 'success', durationMs: 100, data: { membership_id: 'MEMB-1' } },
        { stage: 'crm_upsert', status: 'success', durationMs: 200 },
        { stage: 'worldoffice_invoice_creation', status: 'success', durationMs: 300 },
        { stage: 'worldoffice_dian_emission', status: 'skipped' },
      ],
    });
    dead = await seedEvent(h.store, {
      summary: { customer: { name: 'Ana' }, product: { name: 'Curso' }, amount: 99_000, currency: 'COP' },
      stages: [{ stage: 'crm_upsert', status: 'error', durationMs: 400 }],
      finalStatus: 'dead',
    });
    retried = await seedEvent(h.store, { extraAttempts: 2, finalStatus: 'retrying' });
    // Took three attempts but succeeded: no longer an alert.
    await seedEvent(h.store, { extraAttempts: 2 });
    // Last: its lease (one minute from its claim) stays live while the others are seeded.
    stuck = await seedEvent(h.store, { finalStatus: 'processing' });
    h.clock.now = new Date(stuck.receivedAt.getTime() + 10 * MINUTE);
    await h.store.recordAlert({ at: at(0), kind: 'custom', message: 'stored alert', eventId: ok.id });
    await h.store.recordRejection({
      at: at(0),
      source: 'epayco',
      httpStatus: 401,
      reason: 'bad signature',
      remoteAddress: '127.0.0.1',
      firstBytes: 'x_ref=1',
    });
  });
  after(() => h.close());

  test('GET /api/alerts only reads: with stuck, retried and failing events about, listing stores and resolves nothing', async () => {
    const stored = async () => (await h.store.listAlerts({ cursor: null, limit: 500, unresolvedOnly: false })).items;
    const before = await stored();
    for (const query of ['', '?include=resolved']) {
      assert.equal((await h.request('GET', `/api/alerts${query}`, await h.session(PEOPLE.viewer))).statusCode, 200);
    }
    assert.deepEqual(await stored(), before);
    assert.deepEqual(
      before.map((a) => a.kind),
      ['custom'],
      "only the seeded alert: the conditions are the worker's to store",
    );
  });

  test('alerts: the stored ones, and retried > 1, stuck past its lease and stage error rate stored as issues by the check', async () => {
    // The workers' periodic check stores the conditions (GET /api/alerts only reads).
    await checkAlertConditions({ store: h.store }, h.clock.now);
    const response = await h.request('GET', '/api/alerts', await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    const body = json<{ items: Computed[]; nextCursor: string | null }>(response);
    assert.ok(
      body.items.every((a) => !a.computed && a.id > 0),
      'every alert is a stored issue with its own id',
    );
    const find = (kind: string) => body.items.filter((a) => a.kind === kind);
    assert.deepEqual(
      find('custom').map((a) => a.message),
      ['stored alert'],
    );
    // An alert about an event names its payment (what a person recognises), and only that of the summary.
    assert.deepEqual(
      find('custom').map((a) => a.payment),
      [{ customer: 'Juan Pérez', amount: 250_000, currency: 'COP', references: { invoice: 'INV-20250127-001' } }],
    );
    assert.ok(
      find('stage_error_rate').every((a) => a.payment === null),
      'an alert about a stage names no payment',
    );
    // A dead event's alert is written by the engine when it dies (api-alerts.test.ts); seeded rows have none.
    assert.deepEqual(
      find('dead').map((a) => a.eventId),
      [],
    );
    assert.deepEqual(
      find('retried').map((a) => a.eventId),
      [retried.id],
    );
    assert.deepEqual(
      find('stuck').map((a) => a.eventId),
      [stuck.id],
    );
    assert.deepEqual(
      find('stage_error_rate').map((a) => a.stage),
      ['worldoffice_invoice_creation'],
    );
    // The facts a page needs to word them in its own language.
    assert.equal(find('retried')[0]?.details?.attempts, 3);
    assert.equal(find('stuck')[0]?.details?.leaseExpiresAt, new Date(stuck.receivedAt.getTime() + MINUTE).toISOString());
    assert.deepEqual([find('stage_error_rate')[0]?.details?.errors, find('stage_error_rate')[0]?.details?.finished], [5, 6]);
    assert.ok(!find('stage_error_rate').some((a) => a.stage === 'crm_upsert'), 'two finished attempts are too few to call a rate');
    await checkAlertConditions({ store: h.store }, h.clock.now);
    const again = json<{ items: Computed[] }>(await h.request('GET', '/api/alerts', await h.session(PEOPLE.viewer)));
    assert.deepEqual(
      again.items.map((a) => a.id),
      body.items.map((a) => a.id),
      'checking again opens nothing new',
    );
  });

  test('metrics: per-stage success rate and p50/p95 from attempt samples; throughput buckets', async () => {
    const response = await h.request('GET', `/api/metrics?since=${at(-MINUTE).toISOString()}`, await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    const body = json<{
      stages: Array<{ stage: string; total: number; success: number; error: number; successRate: number; p50Ms: number; p95Ms: number }>;
      throughput: Array<{ at: string; received: number; succeeded: number; failed: number }>;
    }>(response);
    const wo = body.stages.find((s) => s.stage === 'worldoffice_invoice_creation');
    assert.deepEqual(
      { total: wo?.total, success: wo?.success, error: wo?.error, p50: wo?.p50Ms, p95: wo?.p95Ms },
      { total: 6, success: 1, error: 5, p50: 30_000, p95: 30_000 },
    );
    assert.ok(Math.abs((wo?.successRate ?? 0) - 1 / 6) < 1e-9);
    const crm = body.stages.find((s) => s.stage === 'crm_upsert');
    assert.deepEqual({ successRate: crm?.successRate, p50: crm?.p50Ms, p95: crm?.p95Ms }, { successRate: 0.5, p50: 200, p95: 400 });
    const totals = body.throughput.reduce(
      (sum, b) => ({ received: sum.received + b.received, succeeded: sum.succeeded + b.succeeded, failed: sum.failed + b.failed }),
      { received: 0, succeeded: 0, failed: 0 },
    );
    assert.deepEqual(totals, { received: 10, succeeded: 2, failed: 1 });
    assert.equal((await h.request('GET', '/api/metrics?since=soon', await h.session(PEOPLE.viewer))).statusCode, 400);
  });

  test('audit log needs audit:read; it lists retries with actor and address, filterable by action', async () => {
    const operator = withCsrf(await h.session(PEOPLE.operator));
    assert.equal((await h.request('POST', `/api/events/${dead.id}/retry`, operator)).statusCode, 200);
    assert.equal((await h.request('GET', '/api/audit', await h.session(PEOPLE.viewer))).statusCode, 403);
    const response = await h.request('GET', '/api/audit?action=event.retry', operator);
    assert.equal(response.statusCode, 200);
    const body = json<{ items: Array<{ actor: string; action: string; target: string; remoteAddress: string }>; nextCursor: null }>(
      response,
    );
    assert.deepEqual(
      body.items.map((e) => [e.actor, e.action, e.target, e.remoteAddress]),
      [[PEOPLE.operator, 'event.retry', `event:${dead.id}`, '127.0.0.1']],
    );
  });

  test('rejections list what was refused at the door', async () => {
    const body = json<{ items: Array<{ reason: string; httpStatus: number }> }>(
      await h.request('GET', '/api/rejections', await h.session(PEOPLE.viewer)),
    );
    assert.deepEqual(
      body.items.map((r) => [r.httpStatus, r.reason]),
      [[401, 'bad signature']],
    );
  });

  test('rejections: a viewer reads them (events:read), nobody else; a bad page asked for is a 400 that says so', async () => {
    assert.equal((await h.request('GET', '/api/rejections')).statusCode, 401);
    assert.equal((await h.request('GET', '/api/rejections', await h.token(['audit:read']))).statusCode, 403);
    const reply = await h.request('GET', '/api/rejections?limit=1', await h.token(['events:read']));
    assert.equal(reply.statusCode, 200);
    // A reason without a code of the ingest plugin's form is a plain refusal (BAD_REQUEST); one page, the last.
    const page = json<{ items: Array<{ code: string }>; nextBefore: number | null }>(reply);
    assert.deepEqual([page.items.map((r) => r.code), page.nextBefore], [['BAD_REQUEST'], null]);
    const bad = await h.request('GET', '/api/rejections?before=yesterday', await h.token(['events:read']));
    assert.equal(bad.statusCode, 400);
    assert.match(json<{ error: { code: string; message: string } }>(bad).error.message, /before/);
  });

  test("GET /api/webhooks/recent answers in the seeds' proposed checkpoint structure", async () => {
    const response = await h.request('GET', '/api/webhooks/recent?limit=20', await h.token(['events:read']));
    assert.equal(response.statusCode, 200);
    const body = json<{ webhooks: Array<Record<string, unknown> & { id: number }> }>(response);
    const webhook = body.webhooks.find((w) => w.id === ok.id) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(webhook.customer, { name: 'Juan Pérez', cedula: '1234567890', email: 'juan@example.com', phone: '573001234567' });
    // The product's own price (not the amount paid), its id and category, as the summary holds them.
    assert.deepEqual(webhook.product, { name: 'Membresía Elite', id: 'PROD-123', category: 'Membresías', price: 240_000, currency: 'COP' });
    assert.equal(webhook.invoice_id, 'INV-20250127-001');
    assert.equal(webhook.pipeline_status.overall, 'success');
    assert.equal(webhook.pipeline_status.completed_stages, 3);
    assert.equal(webhook.pipeline_status.skipped_stages, 1);
    assert.equal(webhook.checkpoints.membership_creation.status, 'success');
    assert.equal(webhook.checkpoints.membership_creation.duration_ms, 100);
    assert.deepEqual(webhook.checkpoints.membership_creation.data, { membership_id: 'MEMB-1' });
    assert.deepEqual(webhook.checkpoints.worldoffice_dian_emission.reason, {
      type: 'feature_flag',
      flag_name: 'MEMBERSHIPS_ENABLED',
      flag_value: false,
    });
    assert.ok(Array.isArray(webhook.logs) && webhook.logs.length === 4);
    const deadHook = body.webhooks.find((w) => w.id === dead.id) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(deadHook.checkpoints.crm_upsert.error.message, 'boom');
    assert.equal(deadHook.checkpoints.crm_upsert.attempts.length, 1);
    // The seeds' "Reintentos: retry_count/max_retries": from each stage's own retry policy.
    assert.deepEqual([deadHook.checkpoints.crm_upsert.retry_count, deadHook.checkpoints.crm_upsert.max_retries], [0, 2]);
    assert.equal(
      webhook.checkpoints.membership_creation.max_retries,
      3,
      'the default policy (the retry guide): +1, +5, +15 min, four attempts',
    );
    // No stage knew this product's price: the amount paid stands in, as the field always held it.
    assert.deepEqual(deadHook.product, { name: 'Curso', id: null, category: null, price: 99_000, currency: 'COP' });
  });
});
