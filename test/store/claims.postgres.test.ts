import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { claimNextEvent, claimNextEvents } from '../../src/store/postgres/claims.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { clientConfig, resolveTarget, type Queryable } from '../../src/store/postgres/connection.js';
import { at, newEvent, openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';

/*
 * PostgreSQL-only: the claim protocol's entity guard (ARCHITECTURE.md, "Rule 2"), with the
 * interleaving that needs it forced step by step instead of hoped for under load. Two claim
 * transactions run on their own connections; the test decides when each one moves on.
 */

const skip = await postgresSkip();

/** A connection whose queries wait for `gate` before the first one matching `pattern` runs. */
function pausedBefore(client: pg.Client, pattern: RegExp): { db: Queryable; reached: Promise<void>; go: () => void } {
  let reach: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  let go: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (go = resolve));
  let paused = false;
  const db: Queryable = {
    async query(text: string, values?: unknown[]) {
      if (!paused && pattern.test(text)) {
        paused = true;
        reach();
        await gate;
      }
      return client.query(text, values);
    },
  } as Queryable;
  return { db, reached, go };
}

/** A migrated store on the schema, for inserts and checks, and two connections claiming by hand. */
async function withTwoClaimers(
  { url }: { url: string },
  test: (parts: { store: PostgresStore; a: pg.Client; b: pg.Client }) => Promise<void>,
): Promise<void> {
  const store = await openMigrated(url);
  const config = clientConfig(resolveTarget(url));
  const a = new pg.Client(config);
  const b = new pg.Client(config);
  await Promise.all([a.connect(), b.connect()]);
  try {
    await test({ store, a, b });
  } finally {
    await Promise.all([a.end(), b.end()]);
    await store.close();
  }
}

describe('PostgreSQL claims: the entity guard under a forced interleaving', { skip }, () => {
  const schemas = withTestSchema();

  it("a claimer that decided on an old snapshot re-checks the entity once it holds the entity's lock", async () => {
    await withTwoClaimers(await schemas.create(), async ({ store, a, b }) => {
      const later = (await store.insertEvent(newEvent('later', { entityKey: 'order-1', occurredAt: at(100), receivedAt: at(0) }))).event;

      // A claims `later`, the only event of order-1 it can see, and has not committed yet.
      await a.query('BEGIN');
      const claimedByA = await claimNextEvent(a, { workerId: 'A', leaseMs: 60_000, now: at(1) });
      assert.equal(claimedByA?.id, later.id);

      // A late delivery of something that happened earlier arrives.
      const earlier = (await store.insertEvent(newEvent('earlier', { entityKey: 'order-1', occurredAt: at(50), receivedAt: at(1) }))).event;

      // B's candidate query runs now: its snapshot sees `later` still queued (A has not
      // committed), so `earlier` looks like the entity's next event and nothing looks leased.
      await b.query('BEGIN');
      const paused = pausedBefore(b, /pg_try_advisory_xact_lock/);
      const claimingByB = claimNextEvent(paused.db, { workerId: 'B', leaseMs: 60_000, now: at(2) });
      await paused.reached;

      // A commits (its entity lock goes with it); then B asks for the entity's lock and gets it.
      await a.query('COMMIT');
      paused.go();
      const claimedByB = await claimingByB;
      await b.query('COMMIT');

      assert.equal(claimedByB, null, `B must not claim event ${earlier.id} while A holds ${later.id} of the same entity`);
      const held = await store.listEvents({ entityKey: 'order-1', status: 'processing' });
      assert.deepEqual(
        held.items.map((e) => [e.id, e.leaseOwner]),
        [[later.id, 'A']],
        'one live lease on the entity',
      );
    });
  });

  it('while another claimer is still deciding about an entity, the entity is skipped, not decided twice', async () => {
    await withTwoClaimers(await schemas.create(), async ({ store, a, b }) => {
      const later = (await store.insertEvent(newEvent('later', { entityKey: 'order-2', occurredAt: at(100), receivedAt: at(0) }))).event;
      await a.query('BEGIN');
      assert.equal((await claimNextEvent(a, { workerId: 'A', leaseMs: 60_000, now: at(1) }))?.id, later.id);
      const earlier = (await store.insertEvent(newEvent('earlier', { entityKey: 'order-2', occurredAt: at(50), receivedAt: at(1) }))).event;

      // B decides entirely while A's claim is uncommitted: even B's re-check cannot see it yet,
      // only A's entity lock tells B that someone is deciding about order-2.
      await b.query('BEGIN');
      const claimedByB = await claimNextEvent(b, { workerId: 'B', leaseMs: 60_000, now: at(2) });
      await b.query('COMMIT');
      await a.query('COMMIT');

      assert.equal(claimedByB, null, `B must not claim event ${earlier.id} while A is claiming ${later.id} of the same entity`);
      const held = await store.listEvents({ entityKey: 'order-2', status: 'processing' });
      assert.deepEqual(
        held.items.map((e) => e.id),
        [later.id],
      );
    });
  });
  it('a claim for several owners takes every runnable event in one round, skipping only an entity another claimer is deciding', async () => {
    await withTwoClaimers(await schemas.create(), async ({ store, a, b }) => {
      const busy = (await store.insertEvent(newEvent('busy', { entityKey: 'order-3', occurredAt: at(10), receivedAt: at(0) }))).event;
      await a.query('BEGIN');
      assert.equal((await claimNextEvent(a, { workerId: 'A', leaseMs: 60_000, now: at(1) }))?.id, busy.id);
      // Earlier than `busy`, so B's snapshot sees it as order-3's next event; only A's entity lock says no.
      await store.insertEvent(newEvent('earlier', { entityKey: 'order-3', occurredAt: at(5), receivedAt: at(1) }));
      const others = [
        (await store.insertEvent(newEvent('keyed', { entityKey: 'order-4', receivedAt: at(2) }))).event.id,
        (await store.insertEvent(newEvent('free-1', { receivedAt: at(3) }))).event.id,
        (await store.insertEvent(newEvent('free-2', { receivedAt: at(4) }))).event.id,
      ];
      await b.query('BEGIN');
      const claimed = await claimNextEvents(b, { workerIds: ['B1', 'B2', 'B3', 'B4'], leaseMs: 60_000, now: at(5) });
      await b.query('COMMIT');
      await a.query('COMMIT');
      assert.deepEqual(
        claimed.map((e) => [e.id, e.leaseOwner]).sort(),
        others.map((id, i) => [id, `B${i + 1}`]).sort(),
        'the other three, each to its owner in order; nothing of order-3',
      );
    });
  });
});
