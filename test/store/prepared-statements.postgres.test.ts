import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckpointWrite, EventFinish } from '../../src/store/store.js';
import { at, newEvent, openMigrated, postgresSkip, queryIn, withTestSchema } from '../helpers/postgres.js';

/*
 * PostgreSQL-only: the one-delivery insert, the claim and the checkpoint call are prepared once
 * per connection (named statements, src/store/postgres/events.ts, claim-call.ts,
 * checkpoint-bulk.ts). A prepared statement
 * whose result has a `*` fails every later call with "cached plan must not change result type"
 * once a column is added to its table; theirs list the event's columns, so a migration that
 * adds one under a running process changes nothing for it. One pooled connection, so the
 * statements prepared before the change are the ones used after it.
 */

const skip = await postgresSkip();

/** A write with the first stage's `processing` mark. */
const mark = (eventId: number, leaseOwner: string, startedAt: Date): CheckpointWrite => ({
  eventId,
  leaseOwner,
  outcomes: [],
  start: { eventId, leaseOwner, stage: 'first', attempt: 1, startedAt },
});

const finish = (eventId: number, leaseOwner: string, now: Date): EventFinish => ({ eventId, leaseOwner, status: 'succeeded', now });

describe('PostgreSQL prepared insert, claim and checkpoint call', { skip }, () => {
  const schemas = withTestSchema();

  it('keep working on the same connection after a column is added to events', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url, 1);
    try {
      const first = (await store.insertEvent(newEvent('before', { receivedAt: at(0) }))).event;
      const [claimedFirst] = await store.claimNextEvents({ workerIds: ['w#1'], leaseMs: 60_000, now: at(1) });
      assert.equal(claimedFirst?.id, first.id);
      assert.equal((await store.writeCheckpoints([mark(first.id, 'w#1', at(1))]))[0]?.ok, true);

      await queryIn(schema, `ALTER TABLE events ADD COLUMN added_later text NOT NULL DEFAULT 'x'`);

      const second = await store.insertEvent(newEvent('after', { receivedAt: at(2) }));
      assert.equal(second.duplicate, false);
      assert.equal(second.event.providerEventId, 'after');
      assert.deepEqual(Object.keys(second.event).sort(), Object.keys(first).sort(), 'the same fields as before the change');
      const [claimedSecond] = await store.claimNextEvents({ workerIds: ['w#2'], leaseMs: 60_000, now: at(3) });
      assert.equal(claimedSecond?.id, second.event.id);
      assert.equal(claimedSecond?.leaseOwner, 'w#2');
      assert.equal((await store.writeCheckpoints([mark(second.event.id, 'w#2', at(3))]))[0]?.ok, true);
      // A finish returns the event's row through the call's listed fields.
      const [finished] = await store.writeCheckpoints([
        { eventId: second.event.id, leaseOwner: 'w#2', outcomes: [], finish: finish(second.event.id, 'w#2', at(4)) },
      ]);
      assert.equal(finished?.ok && finished.event?.status, 'succeeded');
      assert.equal((await store.insertEvent(newEvent('after', { receivedAt: at(4) }))).duplicate, true);
    } finally {
      await store.close();
    }
  });
});
