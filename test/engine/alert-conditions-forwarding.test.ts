/**
 * Stuck and error-rate alerts are stored by the condition check, forwarded over real HTTP when
 * they open, and forwarded again when the condition is gone (resolved), once each.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { createAlertForwarder } from '../../src/engine/alert-forwarder.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startAlertReceiver } from '../helpers/alert-receiver.js';
import { seedEvent } from '../server/api-harness.js';

const MINUTE = 60_000;

describe('stuck and error-rate alerts are forwarded', () => {
  it('opens each, forwards it once, resolves it when the cause is gone and forwards that once', async () => {
    const receiver = await startAlertReceiver<{ transition: string; alert: { kind: string; subject: string } }>();
    const received = receiver.received;
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    try {
      for (let i = 0; i < 5; i++) await seedEvent(store, { stages: [{ stage: 'crm_upsert', status: 'error' }], finalStatus: 'dead' });
      const stuck = await seedEvent(store, { finalStatus: 'processing' });
      let now = new Date(stuck.receivedAt.getTime() + 10 * MINUTE);
      const forwarder = createAlertForwarder({
        store,
        url: receiver.url,
        now: () => now,
        maxAgeMs: 24 * 60 * MINUTE,
      });
      const kinds = () => received.map((d) => `${d.transition} ${d.alert.kind} ${d.alert.subject}`).sort();

      await checkAlertConditions({ store }, now);
      await checkAlertConditions({ store }, now);
      assert.equal(await forwarder.forwardDue(), 2);
      assert.deepEqual(kinds(), ['opened stage_error_rate stage:crm_upsert', `opened stuck event:${stuck.id}`]);

      // Another worker takes the stuck event over and finishes it; two hours later the failures
      // are out of the error-rate window.
      const claimed = await store.claimNextEvent({ workerId: 'w2', leaseMs: MINUTE, now });
      assert.equal(claimed?.id, stuck.id);
      await store.finishEvent({ eventId: stuck.id, leaseOwner: 'w2', status: 'succeeded', pipeline: 'facturador', now });
      now = new Date(now.getTime() + 2 * 60 * MINUTE);
      assert.deepEqual(await checkAlertConditions({ store }, now), { open: 0, resolved: 2 });
      assert.equal(await forwarder.forwardDue(), 2);
      assert.equal(await forwarder.forwardDue(), 0, 'nothing twice');
      assert.deepEqual(kinds(), [
        'opened stage_error_rate stage:crm_upsert',
        `opened stuck event:${stuck.id}`,
        'resolved stage_error_rate stage:crm_upsert',
        `resolved stuck event:${stuck.id}`,
      ]);
    } finally {
      await store.close();
      await receiver.close();
    }
  });
});
