import pg from 'pg';
import type { CheckpointWrite, CheckpointWriteResult } from '../store.js';
import type { EventRecord } from '../../core/types.js';
import { finishEvent } from './claims.js';
import { writeCheckpointsInOneCall } from './checkpoint-bulk.js';
import { recordStageOutcome, recordStageStart } from './checkpoints.js';
import { inTransaction } from './connection.js';
import { notifyWake } from './wake.js';

/**
 * Several events' checkpoint writes in one durable transaction: in one call
 * (checkpoint-bulk.ts) when the database refuses nothing; otherwise each behind its own
 * savepoint: a write that is fenced (its lease is lost) or refused rolls back to its
 * savepoint alone and is reported in its result; the rest commit together.
 *
 * Rows are locked in event-id order, whatever order the writes came in: two batches (two
 * workers, one of which lost a lease to the other) then never wait on each other in a cycle.
 * `woke` is called, after the commit, when a finish put an event back in the queue (its
 * NOTIFY went out with the commit).
 */
export async function writeCheckpoints(
  pool: pg.Pool,
  channel: string,
  writes: CheckpointWrite[],
  woke: () => void,
): Promise<CheckpointWriteResult[]> {
  const ids = new Set(writes.map((w) => w.eventId));
  // One event twice in a batch would be two writes to one row in one statement: one by one.
  if (ids.size === writes.length) {
    try {
      const done = await writeCheckpointsInOneCall(pool, channel, writes);
      if (done.woke) woke();
      return done.results;
    } catch (err) {
      // Refused by the database (a constraint, a summary that moved): the call wrote nothing.
      // A lost connection is not a refusal: whether it committed is unknown, so it is thrown.
      if (!(err instanceof pg.DatabaseError)) throw err;
    }
  }
  let notified = false;
  const results = await inTransaction(pool, (client) =>
    writeOneByOne(client, writes, async () => {
      notified = true;
      await notifyWake(client, channel);
    }),
  );
  if (notified) woke();
  return results;
}

async function writeOneByOne(
  client: pg.PoolClient,
  writes: CheckpointWrite[],
  wake: () => Promise<void>,
): Promise<CheckpointWriteResult[]> {
  const results = new Array<CheckpointWriteResult>(writes.length);
  const order = writes.map((_, i) => i).sort((a, b) => writes[a]!.eventId - writes[b]!.eventId);
  for (const i of order) {
    const write = writes[i]!;
    await client.query('SAVEPOINT checkpoint_write');
    try {
      const event = await applyWrite(client, write);
      await client.query('RELEASE SAVEPOINT checkpoint_write');
      results[i] = { ok: true, event };
      if (event && (event.status === 'retrying' || event.status === 'queued')) await wake();
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT checkpoint_write');
      results[i] = { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  return results;
}

async function applyWrite(client: pg.PoolClient, write: CheckpointWrite): Promise<EventRecord | null> {
  for (const outcome of write.outcomes) await recordStageOutcome(client, outcome);
  if (write.start) await recordStageStart(client, write.start);
  return write.finish ? finishEvent(client, write.finish) : null;
}
