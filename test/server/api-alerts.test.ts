/**
 * Alerts a finance person can trust: a dead event is listed once (the engine's stored alert),
 * its alert resolves when a retry succeeds, and an open alert can be acknowledged with a reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PermanentError } from '../../src/core/errors.js';
import { definePipeline } from '../../src/core/pipeline.js';
import { claimAndRun, insert, TestClock } from '../helpers/engine-fixtures.js';
import { json, PEOPLE, startApi, withCsrf, type Harness } from './api-harness.js';

interface ListedAlert {
  id: number;
  computed: boolean;
  kind: string;
  eventId: number | null;
  stage: string | null;
  resolvedAt: string | null;
}

describe('alerts: one per dead event, resolved by a successful retry', () => {
  let h: Harness;
  let broken = true;
  const clock = new TestClock();
  const pipeline = definePipeline({
    name: 'p',
    match: () => true,
    stages: [
      {
        name: 'dian',
        run: async () => {
          if (broken) throw new PermanentError('NIT inválido', { code: 'BAD_NIT' });
          return {};
        },
      },
    ],
  });
  let eventId: number;
  before(async () => {
    h = await startApi();
    eventId = await insert(h.store);
    assert.equal((await claimAndRun(h.store, [pipeline], clock))?.status, 'dead');
  });
  after(() => h.close());

  const list = async (query = ''): Promise<ListedAlert[]> => {
    const response = await h.request('GET', `/api/alerts${query}`, await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    return json<{ items: ListedAlert[] }>(response).items.filter((a) => a.eventId === eventId);
  };

  test('a dead event is listed once: the stored alert, with its stage', async () => {
    const alerts = await list();
    assert.deepEqual(
      alerts.map((a) => [a.kind, a.computed, a.stage]),
      [['dead', false, 'dian']],
    );
  });

  test('retried by hand to success, its alert is resolved and gone from the default list', async () => {
    const operator = withCsrf(await h.session(PEOPLE.operator));
    assert.equal((await h.request('POST', `/api/events/${eventId}/retry`, operator)).statusCode, 200);
    broken = false;
    assert.equal((await claimAndRun(h.store, [pipeline], clock))?.status, 'succeeded');
    assert.deepEqual(await list(), [], 'open alerts only by default');
    const withResolved = await list('?include=resolved');
    assert.deepEqual(
      withResolved.map((a) => [a.kind, a.resolvedAt]),
      [['dead', clock.now().toISOString()]],
    );
    const bad = await h.request('GET', '/api/alerts?include=everything', await h.session(PEOPLE.viewer));
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /include must be .*resolved/);
  });
});

describe('POST /api/alerts/:id/ack', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('needs events:retry and a reason; sets who/when/why, audited as alert.ack; changes nothing when refused', async () => {
    const alert = await h.store.recordAlert({ at: h.clock.now, kind: 'dead', eventId: 41, stage: 'dian', message: 'event 41 is dead' });
    const operator = withCsrf(await h.session(PEOPLE.operator));
    const viewer = withCsrf(await h.session(PEOPLE.viewer));
    const url = `/api/alerts/${alert.id}/ack`;

    assert.equal((await h.request('POST', url, viewer, { reason: 'mine' })).statusCode, 403);
    const missing = await h.request('POST', url, operator, {});
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /reason is required/);
    const blank = await h.request('POST', url, operator, { reason: '   ' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /reason must not be empty/);
    assert.equal(
      (await h.request('POST', '/api/alerts/-1/ack', operator, { reason: 'x' })).statusCode,
      400,
      'computed alerts have negative ids',
    );
    assert.equal((await h.request('POST', '/api/alerts/999999/ack', operator, { reason: 'x' })).statusCode, 404);
    const untouched = (await h.store.listAlerts()).items.find((a) => a.id === alert.id);
    assert.equal(untouched?.acknowledgedAt, null);
    assert.equal((await h.store.listAudit({ action: 'alert.ack' })).items.length, 0);

    const ok = await h.request('POST', url, operator, { reason: ' NIT corregido en WorldOffice ' });
    assert.equal(ok.statusCode, 200, ok.body);
    const acked = json<{ alert: { acknowledgedAt: string; acknowledgedBy: string; ackReason: string; resolvedAt: null } }>(ok).alert;
    assert.deepEqual(
      [acked.acknowledgedAt, acked.acknowledgedBy, acked.ackReason, acked.resolvedAt],
      [h.clock.now.toISOString(), PEOPLE.operator, 'NIT corregido en WorldOffice', null],
    );
    const listed = json<{ items: Array<{ id: number; ackReason: string | null }> }>(await h.request('GET', '/api/alerts', viewer));
    assert.equal(listed.items.find((a) => a.id === alert.id)?.ackReason, 'NIT corregido en WorldOffice', 'still open, listed with why');
    const audit = (await h.store.listAudit({ action: 'alert.ack' })).items;
    assert.deepEqual(
      audit.map((e) => [e.actor, e.target, e.details?.reason, e.remoteAddress]),
      [[PEOPLE.operator, `alert:${alert.id}`, 'NIT corregido en WorldOffice', '127.0.0.1']],
    );

    const again = await h.request('POST', url, operator, { reason: 'again' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already acknowledged by ops@/);
    await h.store.resolveAlert(alert.id, h.clock.now);
    const other = await h.store.recordAlert({ at: h.clock.now, kind: 'custom', message: 'x' });
    await h.store.resolveAlert(other.id, h.clock.now);
    assert.equal((await h.request('POST', `/api/alerts/${other.id}/ack`, operator, { reason: 'late' })).statusCode, 409);
  });
});
