/**
 * Issue "Hardening" item 9: when the workers fall behind, the backlog is visible (a `backlog`
 * alert once the oldest queued event has waited longer than `alerts.backlogAgeSeconds`) and the
 * load is shed safely (`server.maxQueuedEvents`: 503 + Retry-After, nothing stored, so the
 * provider delivers again and the delivery is kept then, once).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startIngestServer } from '../helpers/ingest-server.js';
import { sendDelivery, signCustom, TEST_SECRETS } from '../helpers/signing.js';
import { at, json, MINUTE, PEOPLE, seedEvent, startApi } from './api-harness.js';

interface AlertView {
  kind: string;
  computed: boolean;
  subject: string;
  resolvedAt: string | null;
  message: string;
  details: Record<string, unknown> | null;
}

describe('backlog: visible, and shed safely', () => {
  it('a queued event older than the threshold raises one backlog alert, naming the wait and the queue', async () => {
    const h = await startApi();
    try {
      h.clock.now = at(20 * MINUTE);
      await seedEvent(h.store, { finalStatus: 'queued', receivedAt: at(10 * MINUTE) });
      await seedEvent(h.store, { finalStatus: 'queued', receivedAt: at(19 * MINUTE) });
      // The workers' periodic check stores the condition; the page only reads it.
      const read = async () => {
        await checkAlertConditions({ store: h.store }, h.clock.now);
        return json<{ items: AlertView[] }>(await h.request('GET', '/api/alerts', await h.session(PEOPLE.viewer))).items;
      };
      const backlog = (await read()).filter((a) => a.kind === 'backlog');
      assert.equal(backlog.length, 1);
      assert.equal(backlog[0]?.subject, 'queue');
      assert.deepEqual(backlog[0]?.details, {
        queued: 2,
        oldestQueuedAt: at(10 * MINUTE).toISOString(),
        waitedSeconds: 600,
        thresholdSeconds: 300,
      });
      assert.match(backlog[0]?.message ?? '', /waited 10 min \(2 queued\): the workers are behind/);
      // Drained under the threshold: the issue resolves.
      h.clock.now = at(14 * MINUTE);
      assert.equal((await read()).filter((a) => a.kind === 'backlog').length, 0);
      const history = json<{ items: AlertView[] }>(
        await h.request('GET', '/api/alerts?include=resolved', await h.session(PEOPLE.viewer)),
      ).items;
      assert.deepEqual(
        history.filter((a) => a.kind === 'backlog').map((a) => a.resolvedAt),
        [at(14 * MINUTE).toISOString()],
      );
    } finally {
      await h.close();
    }
  });

  it('at maxQueuedEvents a delivery gets 503 + Retry-After and is not stored; once drained, the same delivery is kept once', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    const server = await startIngestServer({ store, maxQueuedEvents: 3 });
    try {
      const delivery = (i: number) =>
        signCustom({
          secret: TEST_SECRETS.custom,
          timestampHeader: 'x-webpig-timestamp',
          body: { id: `evt-${i}`, order: { id: `o-${i}` } },
        });
      for (let i = 1; i <= 3; i++) assert.equal((await sendDelivery(server.baseUrl, 'shop', delivery(i))).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // the queue count is read at most once a second
      const shed = await fetch(`${server.baseUrl}/webhooks/shop`, { method: 'POST', headers: delivery(4).headers, body: delivery(4).body });
      assert.equal(shed.status, 503);
      assert.equal(shed.headers.get('retry-after'), '60');
      assert.equal(((await shed.json()) as { error: { code: string } }).error.code, 'BACKLOG_FULL');
      assert.equal(await store.countEvents({}), 3, 'the shed delivery is not stored');
      assert.match(await server.registry.metrics(), /webpig_webhook_shed_total\{source="shop"\} 1/);

      // The workers catch up: the provider's next attempt is accepted, once.
      for (let i = 0; i < 3; i++) {
        const event = await store.claimNextEvent({ workerId: 'w', leaseMs: MINUTE, now: new Date() });
        assert.ok(event);
        await store.finishEvent({
          eventId: event.id,
          leaseOwner: 'w',
          status: 'succeeded',
          pipeline: null,
          lastError: null,
          now: new Date(),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const again = await sendDelivery(server.baseUrl, 'shop', delivery(4));
      assert.equal(again.status, 200);
      assert.equal(again.body.status, 'accepted');
      assert.equal(await store.countEvents({}), 4);
    } finally {
      await server.close();
    }
  });
});
