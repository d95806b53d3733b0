/**
 * Stuck and error-rate alerts are stored by the condition check, forwarded over real HTTP when
 * they open, and forwarded again when the condition is gone (resolved), once each.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { createAlertForwarder } from '../../src/engine/alert-forwarder.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { seedEvent } from '../server/api-harness.js';

const MINUTE = 60_000;

describe('stuck and error-rate alerts are forwarded', () => {
  it('opens each, forwards it once, resolves it when the cause is gone and forwards that once', async () => {
    const received: { transition: string; alert: { kind: string; subject: string } }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    try {
      for (let i = 0; i < 5; i++) await seedEvent(store, { stages: [{ stage: 'crm_upsert', status: 'error' }], finalStatus: 'dead' });
      const stuck = await seedEvent(store, { finalStatus: 'processing' });
      let now = new Date(stuck.receivedAt.getTime() + 10 * MINUTE);
      const forwarder = createAlertForwarder({
        store,
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
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
      receiver.close();
    }
  });
});
