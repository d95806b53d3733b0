import type pg from 'pg';
import type { CheckpointWrite, CheckpointWriteResult } from '../store.js';
import type { EventRecord } from '../../core/types.js';
import { finishEvent } from './claims.js';
import { writeCheckpointsInBulk } from './checkpoint-bulk.js';
import { recordStageOutcome, recordStageStart } from './checkpoints.js';

/**
 * Several events' checkpoint writes in the caller's transaction: in bulk (checkpoint-bulk.ts)
 * when nothing is refused; otherwise each behind its own savepoint: a write that is fenced (its lease is lost) or refused rolls back to its
 * savepoint alone and is reported in its result; the rest commit together.
 *
 * Rows are locked in event-id order, whatever order the writes came in: two batches (two
 * workers, one of which lost a lease to the other) then never wait on each other in a cycle.
 * `wake` is called when a finish puts an event back in the queue.
 */
export async function writeCheckpoints(
  client: pg.PoolClient,
  writes: CheckpointWrite[],
  wake: () => Promise<void>,
): Promise<CheckpointWriteResult[]> {
  // One write (an idle worker's): no savepoints. Refused, it fails its transaction — which
  // holds nothing else — and so fails alone; two round trips fewer on the idle path.
  if (writes.length === 1) return writeCheckpointsInBulk(client, writes, wake);
  // The fast path: the whole batch in a fixed number of statements. If anything in it is
  // refused, roll it back and apply the writes one by one, so the refused one fails alone.
  await client.query('SAVEPOINT checkpoint_bulk');
  try {
    const results = await writeCheckpointsInBulk(client, writes, wake);
    await client.query('RELEASE SAVEPOINT checkpoint_bulk');
    return results;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT checkpoint_bulk');
  }
  return writeOneByOne(client, writes, wake);
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
