import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { clientConfig, resolveTarget } from '../../src/store/postgres/connection.js';
import { at, newEvent, openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';

/*
 * PostgreSQL-only: the store's claim is one call of `webpig_claim_events` (migration 0013).
 * Here a claimer A holds its claim open in a transaction on its own connection (so its entity
 * lock is held and its lease not yet visible) while the store claims: the function's entity
 * guard must leave A's entity alone. The statement-by-statement interleavings of the same
 * guard are forced in claims.postgres.test.ts; the free-running mix in concurrency.postgres.test.ts.
 */

const skip = await postgresSkip();

const CLAIM = 'SELECT c.n, (c.event).id FROM webpig_claim_events($1::text[], $2::timestamptz, $3::timestamptz) AS c';

/** A migrated store, and a connection `a` whose claim stays uncommitted while `test` runs. */
async function withOpenClaim(
  { url }: { url: string },
  test: (parts: { store: PostgresStore; a: pg.Client }) => Promise<void>,
): Promise<void> {
  const store = await openMigrated(url);
  const a = new pg.Client(clientConfig(resolveTarget(url)));
  await a.connect();
  try {
    await test({ store, a });
  } finally {
    await a.query('ROLLBACK').catch(() => undefined);
    await a.end();
    await store.close();
  }
}

describe('PostgreSQL claims in one call (webpig_claim_events)', { skip }, () => {
  const schemas = withTestSchema();

  it('leaves an entity alone while another claimer is deciding about it, and claims the rest for its owners in order', async () => {
    await withOpenClaim(await schemas.create(), async ({ store, a }) => {
      const later = (await store.insertEvent(newEvent('later', { entityKey: 'order-1', occurredAt: at(100), receivedAt: at(0) }))).event;
      await a.query('BEGIN');
      const byA = await a.query<{ id: number }>(CLAIM, [['A'], at(1), at(60_000)]);
      assert.deepEqual(
        byA.rows.map((r) => r.id),
        [later.id],
      );

      // Earlier than `later`: the store's snapshot sees it as order-1's next event and `later`
      // still queued; only A's entity lock says someone is deciding about order-1.
      const earlier = (await store.insertEvent(newEvent('earlier', { entityKey: 'order-1', occurredAt: at(50), receivedAt: at(1) }))).event;
      const others = [
        (await store.insertEvent(newEvent('keyed', { entityKey: 'order-2', receivedAt: at(2) }))).event.id,
        (await store.insertEvent(newEvent('free-1', { receivedAt: at(3) }))).event.id,
        (await store.insertEvent(newEvent('free-2', { receivedAt: at(4) }))).event.id,
      ];
      const claimed = await store.claimNextEvents({ workerIds: ['B1', 'B2', 'B3', 'B4'], leaseMs: 60_000, now: at(5) });
      await a.query('COMMIT');

      assert.ok(!claimed.some((e) => e.id === earlier.id), `event ${earlier.id} of order-1 claimed while A was claiming ${later.id}`);
      assert.deepEqual(
        claimed.map((e) => [e.id, e.leaseOwner]),
        others.map((id, i) => [id, `B${i + 1}`]),
        'the other three, in queue order, each to its owner in order',
      );
      const held = await store.listEvents({ entityKey: 'order-1', status: 'processing' });
      assert.deepEqual(
        held.items.map((e) => [e.id, e.leaseOwner]),
        [[later.id, 'A']],
        'one live lease on the entity',
      );
    });
  });

  it('claims nothing of an entity whose earlier event holds a live lease, and the earlier one once it is finished', async () => {
    await withOpenClaim(await schemas.create(), async ({ store }) => {
      const first = (await store.insertEvent(newEvent('first', { entityKey: 'order-3', occurredAt: at(10), receivedAt: at(0) }))).event;
      const second = (await store.insertEvent(newEvent('second', { entityKey: 'order-3', occurredAt: at(20), receivedAt: at(1) }))).event;
      const claimed = await store.claimNextEvents({ workerIds: ['W1', 'W2'], leaseMs: 60_000, now: at(2) });
      assert.deepEqual(
        claimed.map((e) => [e.id, e.leaseOwner, e.status, e.attempts]),
        [[first.id, 'W1', 'processing', 1]],
      );
      assert.equal(await store.claimNextEvent({ workerId: 'W3', leaseMs: 60_000, now: at(3) }), null);
      await store.finishEvent({ eventId: first.id, leaseOwner: 'W1', status: 'succeeded', now: at(4) });
      assert.equal((await store.claimNextEvent({ workerId: 'W4', leaseMs: 60_000, now: at(5) }))?.id, second.id);
    });
  });
});
