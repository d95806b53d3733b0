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
