import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { at, json, PEOPLE, seedEvent, startApi, withCsrf, type Harness } from './api-harness.js';

/**
 * A dead event marked as handled by hand (POST /api/events/:id/handled, migration 0009) is
 * seen as such everywhere else: its row carries who and why, a bulk retry leaves it out (and
 * says how many it left out), its dead alert is resolved; a later retry clears the mark.
 */

interface Row {
  id: number;
  status: string;
  handled: { at: string; by: string; reason: string } | null;
}

describe('a dead event marked as handled by hand', () => {
  let h: Harness;
  let handledId = 0;
  let otherDeadId = 0;
  before(async () => {
    h = await startApi();
    const failed = { stage: 'crm_upsert', status: 'error' as const, error: 'CRM down' };
    handledId = (await seedEvent(h.store, { stages: [failed], finalStatus: 'dead' })).id;
    otherDeadId = (await seedEvent(h.store, { stages: [failed], finalStatus: 'dead' })).id;
    await h.store.recordAlert({ at: at(0), kind: 'dead', eventId: handledId, stage: 'crm_upsert', message: `event ${handledId} is dead` });
    await h.store.recordAlert({
      at: at(0),
      kind: 'dead',
      eventId: otherDeadId,
      stage: 'crm_upsert',
      message: `event ${otherDeadId} is dead`,
    });
    h.clock.now = at(3_600_000);
    const operator = await h.session(PEOPLE.operator);
    const reply = await h.request('POST', `/api/events/${handledId}/handled`, withCsrf(operator), { reason: 'Reembolsado a mano' });
    assert.equal(reply.statusCode, 200, reply.body);
  });
  after(() => h.close());

  async function row(id: number): Promise<Row> {
    const reply = await h.request('GET', `/api/events/${id}`, await h.session(PEOPLE.viewer));
    assert.equal(reply.statusCode, 200, reply.body);
    return json<{ event: Row }>(reply).event;
  }

  test('its row (list and detail) says who handled it and why; an unmarked dead one says nothing', async () => {
    const marked = await row(handledId);
    assert.equal(marked.status, 'dead', 'it did fail: the status stays');
    assert.equal(marked.handled?.by, PEOPLE.operator);
    assert.equal(marked.handled?.reason, 'Reembolsado a mano');
    assert.equal((await row(otherDeadId)).handled, null);
    const list = json<{ items: Row[] }>(await h.request('GET', '/api/events?status=dead', await h.session(PEOPLE.viewer)));
    assert.equal(list.items.find((r) => r.id === handledId)?.handled?.reason, 'Reembolsado a mano');
  });

  test('a bulk retry leaves it out by default and counts it; includeHandled takes it', async () => {
    const operator = withCsrf(await h.session(PEOPLE.operator));
    const preview = async (filter: Record<string, unknown>) => {
      const reply = await h.request('POST', '/api/bulk/preview', operator, { filter });
      assert.equal(reply.statusCode, 200, reply.body);
      return json<{ preview: { events: { eventId: number }[]; excluded: { reason: string; count: number }[] } }>(reply).preview;
    };
    const byDefault = await preview({ status: ['dead'] });
    assert.deepEqual(
      byDefault.events.map((e) => e.eventId),
      [otherDeadId],
    );
    assert.deepEqual(byDefault.excluded, [{ reason: 'handled', count: 1 }]);
    const asked = await preview({ status: ['dead'], includeHandled: true });
    assert.deepEqual(asked.events.map((e) => e.eventId).sort(), [handledId, otherDeadId].sort());
    assert.deepEqual(asked.excluded, []);
  });

  test("the alert check resolves its dead alert, not the other event's", async () => {
    await checkAlertConditions({ store: h.store }, at(3_700_000));
    const open = await h.store.listOpenAlerts(['dead']);
    assert.deepEqual(
      open.map((a) => a.eventId),
      [otherDeadId],
    );
  });

  test('a retry after the mark clears it: the event is back in play', async () => {
    const operator = withCsrf(await h.session(PEOPLE.operator));
    h.clock.now = at(3_800_000);
    const reply = await h.request('POST', `/api/events/${handledId}/retry`, operator, { reason: 'el CRM volvió' });
    assert.equal(reply.statusCode, 200, reply.body);
    assert.equal((await row(handledId)).handled, null);
  });
});
