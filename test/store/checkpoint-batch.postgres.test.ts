/**
 * PostgreSQL-only: a checkpoint batch's summary merge. The batch is one SQL function call; the
 * merge (mergeSummary, searchText) is done in JavaScript from the summary read just before the
 * call, and the function refuses the call (SQLSTATE WP001, nothing written) if that summary
 * changed in between; the store then applies the writes one by one under the row lock, so the
 * merge is never made from a stale summary (ARCHITECTURE.md, "Checkpoint batches").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import type { CheckpointWrite } from '../../src/store/store.js';
import { writeCheckpointsInOneCall } from '../../src/store/postgres/checkpoint-bulk.js';
import { clientConfig, resolveTarget, type Queryable } from '../../src/store/postgres/connection.js';
import { at, newEvent, openMigrated, postgresSkip, queryIn, withTestSchema } from '../helpers/postgres.js';

describe('PostgreSQL checkpoint batches: a summary that moved between the read and the call', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  it('refuses the call, writing nothing; through the store the write still lands, merged with the newer summary', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url);
    const client = new pg.Client(clientConfig(resolveTarget(url)));
    await client.connect();
    try {
      const { event } = await store.insertEvent(newEvent('moved', { summary: { amount: 1 } }));
      await store.claimNextEvents({ workerIds: ['w'], leaseMs: 3_600_000, now: at(0) });
      const write: CheckpointWrite = {
        eventId: event.id,
        leaseOwner: 'w',
        outcomes: [
          {
            eventId: event.id,
            stage: 's1',
            leaseOwner: 'w',
            attempt: 1,
            startedAt: at(1),
            completedAt: at(2),
            outcome: { status: 'success', data: null },
            summaryPatch: { currency: 'COP' },
          },
        ],
      };
      // Someone changes the summary after the batch read it and before the call runs.
      const racing: Queryable = {
        async query(query: string | pg.QueryConfig, values?: unknown[]) {
          const text = typeof query === 'string' ? query : query.text;
          if (text.includes('webpig_write_checkpoints'))
            await queryIn(schema, `UPDATE events SET summary = '{"amount": 2}' WHERE id = $1`, [event.id]);
          return typeof query === 'string' ? client.query(query, values) : client.query(query);
        },
      } as Queryable;
      await assert.rejects(writeCheckpointsInOneCall(racing, 'unused', [write]), (err: unknown) => {
        assert.ok(err instanceof pg.DatabaseError);
        assert.equal(err.code, 'WP001');
        return true;
      });
      assert.deepEqual(await store.getCheckpoints(event.id), [], 'the refused call wrote nothing');
      assert.deepEqual((await store.getEvent(event.id))?.summary, { amount: 2 });

      const [result] = await store.writeCheckpoints([write]);
      assert.equal(result?.ok, true);
      assert.deepEqual((await store.getEvent(event.id))?.summary, { amount: 2, currency: 'COP' });
      assert.deepEqual(
        (await store.getCheckpoints(event.id)).map((c) => c.status),
        ['success'],
      );
    } finally {
      await client.end();
      await store.close();
    }
  });
});
