/**
 * PostgreSQL-only: a checkpoint batch's summary merge. The batch is one SQL function call; the
 * merge (mergeSummary, searchText) is done in JavaScript from the summary read just before the
 * call, and the function refuses the call (SQLSTATE WP001, nothing written) if that summary
 * changed in between; the store then applies the writes one by one under the row lock, so the
 * merge is never made from a stale summary (ARCHITECTURE.md, "Checkpoint batches").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { CheckpointWrite } from '../../src/store/store.js';
import { searchText } from '../../src/store/search-text.js';
import { writeCheckpointsInOneCall } from '../../src/store/postgres/checkpoint-bulk.js';
import { clientConfig, resolveTarget, type Queryable } from '../../src/store/postgres/connection.js';
import { at, newEvent, openMigrated, postgresSkip, postgresUrl, queryIn, withTestSchema } from '../helpers/postgres.js';

/** One stage's success under the event's lease, patching the summary, and the event's finish. */
function succeeded(
  { id: eventId, leaseOwner }: { id: number; leaseOwner: string | null },
  summaryPatch: CheckpointWrite['outcomes'][number]['summaryPatch'],
): CheckpointWrite {
  assert.ok(leaseOwner !== null);
  return {
    eventId,
    leaseOwner,
    outcomes: [
      {
        eventId,
        stage: 's1',
        leaseOwner,
        attempt: 1,
        startedAt: at(1),
        completedAt: at(2),
        outcome: { status: 'success', data: null },
        summaryPatch,
      },
    ],
    finish: { eventId, leaseOwner, status: 'succeeded', now: at(3) },
  };
}

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
  it('through the store, a summary changed by another connection meanwhile is kept: the batch goes one by one and every write lands', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url);
    const other = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${schema}` });
    await other.connect();
    try {
      const [moved, still] = (
        await store.insertEvents([newEvent('moved', { summary: { amount: 1 } }), newEvent('still', { summary: { amount: 1 } })])
      ).map((r) => r.event.id) as [number, number];
      // A worker's two runs, each under its claim's lease; their writes go in one batch.
      const claimed = await store.claimNextEvents({ workerIds: ['w-1', 'w-2'], leaseMs: 3_600_000, now: at(0) });
      const claimOf = (id: number) => claimed.find((e) => e.id === id)!;

      // The other connection holds the row: the batch reads its summary (a read takes no lock),
      // merges, and its call waits on the row's lock; meanwhile the row's summary changes.
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM events WHERE id = $1 FOR UPDATE', [moved]);
      const writing = store.writeCheckpoints([
        succeeded(claimOf(moved), { currency: 'COP' }),
        succeeded(claimOf(still), { currency: 'USD' }),
      ]);
      const otherPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const waiting = async (): Promise<boolean> =>
        (
          await queryIn<{ n: string }>(schema, 'SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [
            otherPid,
          ])
        )
          .map((row) => Number(row.n))
          .some((n) => n > 0);
      for (let tries = 0; !(await waiting()); tries++) {
        assert.ok(tries < 1000, 'the batch waits on the row the other connection holds');
        await sleep(10);
      }
      await other.query(`UPDATE events SET summary = summary || '{"customer": {"name": "Ana Pérez"}}' WHERE id = $1`, [moved]);
      await other.query('COMMIT');

      const results = await writing;
      assert.deepEqual(
        results.map((r) => (r.ok ? r.event?.status : r.error.message)),
        ['succeeded', 'succeeded'],
        'both writes land',
      );
      assert.deepEqual(
        (await store.getEvent(moved))?.summary,
        { amount: 1, customer: { name: 'Ana Pérez' }, currency: 'COP' },
        'neither change is lost',
      );
      assert.deepEqual((await store.getEvent(still))?.summary, { amount: 1, currency: 'USD' });
      for (const id of [moved, still])
        assert.deepEqual(
          (await store.getCheckpoints(id)).map((c) => [c.stage, c.status]),
          [['s1', 'success']],
        );
      // The searched text is made from the summary written, the other connection's name included.
      const [row] = await queryIn<{ search_text: string; summary: object }>(
        schema,
        'SELECT search_text, summary FROM events WHERE id = $1',
        [moved],
      );
      assert.equal(row?.search_text, searchText('moved', row?.summary ?? {}));
      assert.deepEqual(
        (await store.listEvents({ text: 'ana perez' })).items.map((e) => e.id),
        [moved],
      );
    } finally {
      await other.end();
      await store.close();
    }
  });
});
