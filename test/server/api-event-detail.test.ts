import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { DashboardConfig } from '../../src/config/types.js';
import { at, json, MINUTE, PEOPLE, seedEvent, startApi, withCsrf, type Harness } from './api-harness.js';

/**
 * What one event's page needs from GET /api/events/:id (every checkpoint with its attempts
 * and their errors, data, skip reason, and the logs), what free text searches, and the
 * permissions and audit of a stage re-run for machines.
 */

interface Attempt {
  attempt: number;
  status: string;
  error: { message: string; code?: string } | null;
  durationMs: number | null;
}
interface Checkpoint {
  stage: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  data: unknown;
  error: { message: string } | null;
  skipReason: { kind: string; flag?: string; value?: boolean } | null;
  history: Attempt[];
}
interface Details {
  event: { id: number; status: string; checkpoints: Checkpoint[] };
  logs: Array<{ stage: string | null; level: string; message: string }>;
}

describe('GET /api/events/:id: checkpoints, attempts, data, skip reason, logs', () => {
  let h: Harness;
  let eventId: number;
  before(async () => {
    h = await startApi();
    const { event } = await h.store.insertEvent({
      source: 'epayco',
      providerEventId: 'detail-1',
      entityKey: null,
      type: 'payment.updated',
      transactionStatus: 'accepted',
      occurredAt: at(0),
      receivedAt: at(0),
      rawBody: Buffer.from('{}'),
      contentType: 'application/json',
      payload: {},
      summary: { customer: { name: 'Ana' } },
    });
    eventId = event.id;
    const worker = 'detail-worker';
    assert.equal((await h.store.claimNextEvent({ workerId: worker, leaseMs: MINUTE, now: at(0) }))?.id, eventId);
    const write = async (
      stage: string,
      attempt: number,
      startMs: number,
      endMs: number,
      outcome: Parameters<Harness['store']['recordStageOutcome']>[0]['outcome'],
    ) => {
      await h.store.recordStageStart({ eventId, stage, leaseOwner: worker, attempt, startedAt: at(startMs) });
      await h.store.recordStageOutcome({
        eventId,
        stage,
        leaseOwner: worker,
        outcome,
        attempt,
        startedAt: at(startMs),
        completedAt: at(endMs),
        logs: [
          {
            at: at(endMs),
            level: outcome.status === 'error' ? 'error' : 'info',
            stage,
            message: `${stage} attempt ${attempt}: ${outcome.status}`,
            fields: null,
          },
        ],
      });
    };
    await write('membership_creation', 1, 0, 250, { status: 'success', data: { membershipId: 'M-77' } });
    await write('crm_upsert', 1, 1000, 1400, {
      status: 'error',
      error: { message: 'Timeout after 30s', code: 'TIMEOUT', retriable: true },
    });
    await write('crm_upsert', 2, 2000, 2700, { status: 'error', error: { message: 'CRM said 503', code: 'HTTP_503', retriable: true } });
    await write('worldoffice_dian_emission', 1, 3000, 3000, {
      status: 'skipped',
      skipReason: { kind: 'flag', flag: 'WORLDOFFICE_DIAN_ENABLED', value: false },
    });
    await h.store.finishEvent({
      eventId,
      leaseOwner: worker,
      status: 'dead',
      pipeline: 'facturador',
      now: at(4000),
      lastError: { message: 'CRM said 503', retriable: true },
    });
  });
  after(() => h.close());

  test('every checkpoint comes with its times, attempts and their errors, data and skip reason; logs in order', async () => {
    const response = await h.request('GET', `/api/events/${eventId}`, await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['cache-control'], 'no-store', 'personal data is not kept by caches');
    const body = json<Details>(response);
    assert.equal(body.event.status, 'dead');
    const byStage = new Map(body.event.checkpoints.map((c) => [c.stage, c]));

    const membership = byStage.get('membership_creation');
    assert.equal(membership?.status, 'success');
    assert.deepEqual(membership?.data, { membershipId: 'M-77' });
    assert.equal(membership?.durationMs, 250);
    assert.equal(membership?.startedAt, at(0).toISOString());
    assert.equal(membership?.completedAt, at(250).toISOString());

    const crm = byStage.get('crm_upsert');
    assert.equal(crm?.status, 'error');
    assert.equal(crm?.attempts, 2);
    assert.equal(crm?.error?.message, 'CRM said 503');
    assert.deepEqual(
      crm?.history.map((a) => [a.attempt, a.status, a.error?.message, a.error?.code, a.durationMs]),
      [
        [1, 'error', 'Timeout after 30s', 'TIMEOUT', 400],
        [2, 'error', 'CRM said 503', 'HTTP_503', 700],
      ],
    );

    const dian = byStage.get('worldoffice_dian_emission');
    assert.equal(dian?.status, 'skipped');
    assert.deepEqual(dian?.skipReason, { kind: 'flag', flag: 'WORLDOFFICE_DIAN_ENABLED', value: false });

    assert.deepEqual(
      body.logs.map((l) => l.message),
      [
        'membership_creation attempt 1: success',
        'crm_upsert attempt 1: error',
        'crm_upsert attempt 2: error',
        'worldoffice_dian_emission attempt 1: skipped',
      ],
    );
    assert.equal(body.logs[1]?.level, 'error');
  });

  test('a token without events:read may not read it', async () => {
    const retrier = await h.token(['events:retry']);
    assert.equal((await h.request('GET', `/api/events/${eventId}`, retrier)).statusCode, 403);
    const anonymous = await h.request('GET', `/api/events/${eventId}`);
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['x-content-type-options'], 'nosniff');
  });
});

describe('free text and stage re-run by machines', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('free text finds an event by the customer e-mail, and only that one', async () => {
    const wanted = await seedEvent(h.store, { summary: { customer: { name: 'Marta', email: 'marta.r@example.com' } } });
    await seedEvent(h.store, { summary: { customer: { name: 'Otra', email: 'otra@example.com' } } });
    const page = json<{ items: Array<{ id: number }> }>(
      await h.request('GET', '/api/events?q=marta.r%40example.com', await h.session(PEOPLE.viewer)),
    );
    assert.deepEqual(
      page.items.map((r) => r.id),
      [wanted.id],
    );
  });

  test('a token needs stages:rerun; with it the re-run is audited with who, when and from where', async () => {
    const event = await seedEvent(h.store, { stages: [{ stage: 'crm_upsert', status: 'success' }] });
    const retrier = await h.token(['events:read', 'events:retry'], 'retry-bot');
    const refused = await h.request('POST', `/api/events/${event.id}/stages/crm_upsert/rerun`, retrier);
    assert.equal(refused.statusCode, 403);
    assert.match(json<{ error: { message: string } }>(refused).error.message, /stages:rerun/);
    assert.equal((await h.store.getEvent(event.id))?.status, 'succeeded', 'a refused re-run changes nothing');

    h.clock.now = at(42 * MINUTE);
    const rerunner = await h.token(['stages:rerun'], 'rerun-bot');
    const response = await h.request('POST', `/api/events/${event.id}/stages/crm_upsert/rerun`, rerunner);
    assert.equal(response.statusCode, 200, response.body);
    const entry = (await h.store.listAudit({ action: 'stage.rerun' })).items[0];
    assert.equal(entry?.actor, 'token:rerun-bot');
    assert.equal(entry?.target, `event:${event.id}`);
    assert.equal(entry?.remoteAddress, '127.0.0.1');
    assert.equal(entry?.at.getTime(), at(42 * MINUTE).getTime());
  });

  test('a session re-run without the CSRF header is refused and changes nothing', async () => {
    const event = await seedEvent(h.store, { stages: [{ stage: 'crm_upsert', status: 'success' }] });
    const operator = await h.session(PEOPLE.operator);
    const refused = await h.request('POST', `/api/events/${event.id}/stages/crm_upsert/rerun`, operator);
    assert.equal(refused.statusCode, 403);
    assert.equal((await h.store.getCheckpoints(event.id)).find((c) => c.stage === 'crm_upsert')?.status, 'success');
    const allowed = await h.request('POST', `/api/events/${event.id}/stages/crm_upsert/rerun`, withCsrf(operator));
    assert.equal(allowed.statusCode, 200, allowed.body);
  });
});

describe('dashboard settings', () => {
  test('a configured time zone, currency and language reach the page through /api/config', async () => {
    const h = await startApi({ dashboard: { timeZone: 'Europe/Madrid', currency: 'USD', locale: 'en' } });
    try {
      const config = json<{ locale: string; timeZone: string; currency: string }>(
        await h.request('GET', '/api/config', await h.session(PEOPLE.viewer)),
      );
      assert.deepEqual([config.locale, config.timeZone, config.currency], ['en-CO', 'Europe/Madrid', 'USD']);
    } finally {
      await h.close();
    }
  });

  test('a misspelt time zone or currency is refused at start, naming the field', () => {
    const checkDashboardConfig = (dashboard: DashboardConfig | undefined) =>
      resolveConfig({ sources: [], pipelines: [], dashboard }, 'webpig.config.ts');
    const refused = (field: string) => (err: unknown) =>
      err instanceof ConfigError && err.message.startsWith(`invalid configuration in webpig.config.ts: ${field}`);
    assert.throws(
      () => checkDashboardConfig({ timeZone: 'America/Bogta' }),
      refused('dashboard.timeZone: "America/Bogta" is not an IANA time zone'),
    );
    assert.throws(() => checkDashboardConfig({ currency: 'pesos' }), refused('dashboard.currency: "pesos" is not an ISO 4217 code'));
    assert.doesNotThrow(() => checkDashboardConfig(undefined));
    assert.doesNotThrow(() => checkDashboardConfig({ timeZone: 'America/Bogota', currency: 'COP' }));
  });
});

test("GET /api/webhooks/recent carries the seeds' raw_webhook, secrets redacted", async () => {
  const h = await startApi();
  try {
    const payload = { x_ref_payco: 'REF-RAW', x_signature: 'deadbeefsig', x_customer_name: '<script>x</script>' };
    const event = await seedEvent(h.store, { payload, rawBody: JSON.stringify(payload) });
    const response = await h.request('GET', '/api/webhooks/recent', await h.token(['events:read']));
    assert.equal(response.statusCode, 200, response.body);
    const hook = json<{ webhooks: Array<{ id: number; raw_webhook: Record<string, unknown> }> }>(response).webhooks.find(
      (w) => w.id === event.id,
    );
    assert.deepEqual(hook?.raw_webhook, { x_ref_payco: 'REF-RAW', x_signature: '[redacted]', x_customer_name: '<script>x</script>' });
    assert.ok(!response.body.includes('deadbeefsig'));
    assert.match(String(response.headers['content-type']), /^application\/json/);
  } finally {
    await h.close();
  }
});
