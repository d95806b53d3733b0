import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../src/core/types.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { at, newEvent, openMigrated, postgresSkip, queryIn, withTestSchema } from '../helpers/postgres.js';

/*
 * PostgreSQL-only: what happens between separate stores (separate pools and connections, as
 * separate worker processes would have) sharing one schema.
 */

const skip = await postgresSkip();

/**
 * Settles with `promise`, or rejects when the test times out: a timed-out test's body keeps
 * running otherwise, and its open connections would keep the whole run from ending.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(new Error('test aborted'));
      signal.addEventListener('abort', () => reject(new Error('test aborted')), { once: true });
    }),
  ]);
}

describe('PostgresStore: concurrency across separate stores', { skip }, () => {
  const schemas = withTestSchema();

  it(
    'several stores claiming one queue while late events arrive: each event once, one live lease per entity',
    { timeout: 120_000 },
    async (t) => {
      const { url } = await schemas.create();
      const SEEDED = 200;
      const LATE = 100;
      const KEYS = 8;
      const STORES = 6;
      const WORKERS_PER_STORE = 3;
      const seeder = await openMigrated(url);
      // Inserted in a shuffled order so that id order is not occurrence order.
      const order = Array.from({ length: SEEDED }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      await seeder.insertEvents(
        order.map((i) => newEvent(`seeded-${i}`, { entityKey: `order-${i % KEYS}`, occurredAt: at(i), receivedAt: new Date() })),
      );

      const stores = await Promise.all(Array.from({ length: STORES }, () => PostgresStore.open(url, { poolSize: WORKERS_PER_STORE })));
      const claims = new Map<number, number>();
      /** Per entity: which event holds it now (in this process's view), and the order seeded ones were held in. */
      const holder = new Map<string, number>();
      const seededOrder = new Map<string, number[]>();
      const overlaps: string[] = [];
      let finished = 0;

      // Late deliveries of events that happened before everything seeded: they become the
      // earliest unfinished event of their entity while other events of it are being claimed.
      const produce = async (): Promise<void> => {
        for (let i = 0; i < LATE; i++) {
          await seeder.insertEvent(
            newEvent(`late-${i}`, { entityKey: `order-${i % KEYS}`, occurredAt: at(-1 - i), receivedAt: new Date() }),
          );
          if (i % 4 === 0) await sleep(1);
        }
      };
      const work = async (store: PostgresStore, workerId: string): Promise<void> => {
        while (finished < SEEDED + LATE && !t.signal.aborted) {
          const event: EventRecord | null = await store.claimNextEvent({ workerId, leaseMs: 60_000, now: new Date() });
          if (!event) {
            await sleep(1);
            continue;
          }
          claims.set(event.id, (claims.get(event.id) ?? 0) + 1);
          const key = event.entityKey!;
          const current = holder.get(key);
          if (current !== undefined) overlaps.push(`${key}: event ${event.id} claimed while ${current} was held`);
          holder.set(key, event.id);
          if (event.providerEventId.startsWith('seeded-')) {
            seededOrder.set(key, [...(seededOrder.get(key) ?? []), event.occurredAt.getTime()]);
          }
          // Hold the lease a moment, so an overlapping claim would have time to happen.
          await sleep(Math.random() * 3);
          holder.delete(key);
          await store.finishEvent({ eventId: event.id, leaseOwner: workerId, status: 'succeeded', now: new Date() });
          finished++;
        }
      };
      try {
        await Promise.all([
          produce(),
          ...stores.flatMap((store, s) => Array.from({ length: WORKERS_PER_STORE }, (_, w) => work(store, `store${s}-worker${w}`))),
        ]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }

      try {
        assert.deepEqual(overlaps, [], 'never two live leases on one entity');
        assert.equal(claims.size, SEEDED + LATE, 'every event was claimed');
        assert.deepEqual(
          [...claims.values()].filter((n) => n !== 1),
          [],
          'no event was claimed twice',
        );
        assert.equal(await seeder.countEvents({ status: 'succeeded' }), SEEDED + LATE);
        for (const [key, times] of seededOrder) {
          assert.deepEqual(
            times,
            [...times].sort((a, b) => a - b),
            `${key}: seeded events ran in occurrence order`,
          );
        }
        const attempts = await seeder.listEvents({ minAttempts: 1 }, { limit: 500 });
        assert.deepEqual(
          attempts.items.map((e) => e.id),
          [],
          'no event was attempted twice',
        );
      } finally {
        await seeder.close();
      }
    },
  );

  it('an insert through one store wakes a listener of another store on the same schema', { timeout: 20_000 }, async (t) => {
    const { url } = await schemas.create();
    const listening = await openMigrated(url);
    const inserting = await openMigrated(url);
    try {
      let wake: () => void = () => undefined;
      const unsubscribe = listening.onWake(() => wake());
      // Once LISTEN is in place (it wakes its listeners once then), only a NOTIFY can wake them.
      await listening.wakeReady();
      const woken = new Promise<void>((resolve) => (wake = resolve));
      await inserting.insertEvent(newEvent('wake-me'));
      await untilAborted(woken, t.signal);
      unsubscribe();
    } finally {
      await Promise.all([listening.close(), inserting.close()]);
    }
  });

  it(
    'a batch insert (one autocommitted statement) wakes a listener of another store; a batch of duplicates does not',
    { timeout: 20_000 },
    async (t) => {
      const { url } = await schemas.create();
      const listening = await openMigrated(url);
      const inserting = await openMigrated(url);
      try {
        let wakes = 0;
        let wake: () => void = () => undefined;
        const unsubscribe = listening.onWake(() => {
          wakes++;
          wake();
        });
        await listening.wakeReady();
        const woken = new Promise<void>((resolve) => (wake = resolve));
        wakes = 0;
        await inserting.insertEvents([newEvent('batch-1'), newEvent('batch-2')]);
        await untilAborted(woken, t.signal);
        assert.equal(wakes, 1, 'one NOTIFY for the batch');
        // Only duplicates: nothing stored, so nothing to wake for. A fresh insert after it is
        // the marker: its wake arrives after any the duplicates could have sent.
        const marker = new Promise<void>((resolve) => (wake = resolve));
        wakes = 0;
        await inserting.insertEvents([newEvent('batch-1'), newEvent('batch-2')]);
        await inserting.insertEvent(newEvent('marker'));
        await untilAborted(marker, t.signal);
        assert.equal(wakes, 1, 'the duplicates sent no NOTIFY');
        unsubscribe();
      } finally {
        await Promise.all([listening.close(), inserting.close()]);
      }
    },
  );

  it('the listening connection comes back after the server drops it', { timeout: 30_000 }, async (t) => {
    const { url, schema } = await schemas.create();
    const listening = await openMigrated(url);
    const inserting = await openMigrated(url);
    const appName = `webpig-listen:${schema}`;
    try {
      let wake: () => void = () => undefined;
      const unsubscribe = listening.onWake(() => wake());
      await listening.wakeReady();
      const [before] = await queryIn<{ pid: number }>(schema, 'SELECT pid FROM pg_stat_activity WHERE application_name = $1', [appName]);
      assert.ok(before, 'a LISTEN connection is open');
      await queryIn(schema, 'SELECT pg_terminate_backend($1)', [before.pid]);
      // Wait for a new LISTEN connection (polling, no deadline but the test's own timeout).
      let after: { pid: number } | undefined;
      while ((!after || after.pid === before.pid) && !t.signal.aborted) {
        await sleep(50);
        [after] = await queryIn<{ pid: number }>(
          schema,
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'",
          [appName],
        );
      }
      await listening.wakeReady();
      const woken = new Promise<void>((resolve) => (wake = resolve));
      await inserting.insertEvent(newEvent('after-reconnect'));
      await untilAborted(woken, t.signal);
      unsubscribe();
    } finally {
      await Promise.all([listening.close(), inserting.close()]);
    }
  });

  it('group commits of the same deliveries in different orders on two stores never deadlock', { timeout: 60_000 }, async () => {
    // Two servers receiving one burst (a provider's retries) each commit a batch holding the
    // same deliveries in their own arrival order. Each waits on the other's uncommitted rows;
    // unless both insert in one agreed order, PostgreSQL breaks the cycle by failing one
    // batch, and every delivery in it would be answered 503.
    const { url } = await schemas.create();
    const [a, b] = await Promise.all([openMigrated(url), openMigrated(url)]);
    try {
      for (let round = 0; round < 10; round++) {
        const batch = Array.from({ length: 400 }, (_, i) => newEvent(`r${round}-${i}`));
        const [fromA, fromB] = await Promise.all([a!.insertEvents(batch), b!.insertEvents([...batch].reverse())]);
        const inserted = [...fromA, ...fromB].filter((r) => !r.duplicate).length;
        assert.equal(inserted, batch.length, `round ${round}: each delivery stored exactly once`);
        assert.deepEqual(
          fromA.map((r) => r.event.id),
          [...fromB].reverse().map((r) => r.event.id),
          'both stores report the same event for each delivery',
        );
      }
      assert.equal(await a!.countEvents({}), 4000);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('the same delivery stored at once through several stores is stored once', async () => {
    const { url } = await schemas.create();
    const stores = await Promise.all([0, 1, 2, 3].map(() => openMigrated(url)));
    try {
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(stores.map((store) => store.insertEvent(newEvent(`same-${round}`))));
        assert.equal(results.filter((r) => !r.duplicate).length, 1, 'exactly one store inserted it');
        assert.equal(new Set(results.map((r) => r.event.id)).size, 1, 'all got the same event');
      }
      assert.equal(await stores[0]!.countEvents({}), 20);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
