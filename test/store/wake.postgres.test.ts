/**
 * Wake-ups on PostgreSQL: a store calls its own listeners after its own wake-worthy commits,
 * and other stores (other processes) hear the NOTIFY. The store's own NOTIFY coming back on
 * its LISTEN connection is not a second wake-up: it would cost an idle worker a claim round
 * while the event it just claimed starts its first stage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newEvent, openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';

describe('PostgreSQL wake-ups', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  it('an insert wakes its own store once (not again by its NOTIFY) and wakes another store by NOTIFY', { timeout: 20_000 }, async () => {
    const { url } = await schemas.create();
    const a = await openMigrated(url);
    const b = await openMigrated(url);
    try {
      let wakesA = 0;
      let wakesB = 0;
      let onA: () => void = () => undefined;
      let onB: () => void = () => undefined;
      const offA = a.onWake(() => {
        wakesA += 1;
        onA();
      });
      const offB = b.onWake(() => {
        wakesB += 1;
        onB();
      });
      await Promise.all([a.wakeReady(), b.wakeReady()]);
      wakesA = 0; // the one wake-up each LISTEN gives when it is in place
      wakesB = 0;

      const bHeardA = new Promise<void>((resolve) => (onB = resolve));
      await a.insertEvent(newEvent('from-a'));
      assert.equal(wakesA, 1, 'a woke its own listener after its commit');
      await bHeardA;
      // NOTIFYs arrive in commit order: once a hears b's, it has seen its own too.
      const aHeardB = new Promise<void>((resolve) => (onA = resolve));
      await b.insertEvent(newEvent('from-b'));
      await aHeardB;
      assert.equal(wakesA, 2, "a: its own insert once, b's NOTIFY once — its own NOTIFY did not wake it again");
      assert.equal(wakesB, 2, "b: a's NOTIFY once, its own insert once");
      offA();
      offB();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
  it('a checkpoint batch whose finish re-queues its event wakes another store by NOTIFY', { timeout: 20_000 }, async () => {
    const { url } = await schemas.create();
    const a = await openMigrated(url);
    const b = await openMigrated(url);
    try {
      const { event } = await a.insertEvent(newEvent('requeued'));
      const now = new Date();
      await a.claimNextEvents({ workerIds: ['wa'], leaseMs: 60_000, now });
      let heard: () => void = () => undefined;
      const off = b.onWake(() => heard());
      await b.wakeReady();
      const bHeardA = new Promise<void>((resolve) => (heard = resolve));
      const [result] = await a.writeCheckpoints([
        {
          eventId: event.id,
          leaseOwner: 'wa',
          outcomes: [],
          finish: { eventId: event.id, leaseOwner: 'wa', status: 'retrying', nextAttemptAt: now, now },
        },
      ]);
      assert.equal(result?.ok, true);
      // Without the NOTIFY in the batch's transaction this never resolves (the test times out).
      await bHeardA;
      off();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
