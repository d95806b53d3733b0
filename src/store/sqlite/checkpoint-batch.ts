import type { EventRecord } from '../../core/types.js';
import type { CheckpointWrite, CheckpointWriteResult } from '../store.js';
import type { SqliteContext } from './connection.js';
import { assertLeaseHeld, finishEvent } from './claims.js';
import { writeStageOutcome, writeStageStart } from './checkpoints.js';
import { toMs } from './rows.js';

/**
 * Several events' checkpoint writes in one IMMEDIATE transaction: one commit, one fsync. Each
 * write runs in a nested transaction (a SAVEPOINT in better-sqlite3): a write that is fenced
 * (lease lost) or refused rolls back alone and is reported in its result; the rest commit.
 * The statements of each part are the single-write ones (they see the open transaction and
 * do not start their own). A write alone in its batch needs no SAVEPOINT: when it is refused
 * its own transaction rolls back (lone()).
 *
 * The commit's fsync runs off the event loop (SqliteContext.immediateSyncedOffLoop): the
 * promise resolves — and the worker starts a stage whose `processing` mark this carried, or
 * reports an outcome as recorded — only once a WAL fsync that started after this COMMIT has
 * returned. Meanwhile the loop runs other stages and commits the next batch, which the next
 * fsync covers. An fsync that fails rejects the whole call: every write in it is committed
 * but not known durable, so each run stops and its event resumes after its lease (its
 * `processing` mark leads to reconcile or the same idempotency key).
 */
export async function writeCheckpoints(ctx: SqliteContext, writes: CheckpointWrite[]): Promise<CheckpointWriteResult[]> {
  if (writes.length === 0) return [];
  if (writes.length === 1) return [await lone(ctx, writes[0]!)];
  const nested = nestedWrite(ctx);
  return ctx.immediateSyncedOffLoop(() =>
    writes.map((write): CheckpointWriteResult => {
      try {
        return { ok: true, event: nested(write) };
      } catch (err) {
        return { ok: false, error: asError(err) };
      }
    }),
  );
}

/** The refusal of a lone write, carried out of its transaction (which it rolls back) to its result. */
class Refused {
  constructor(readonly error: Error) {}
}

/**
 * A batch of one write: its own transaction, no SAVEPOINT. A refusal rolls the transaction
 * back and becomes the write's result, as in a larger batch; what fails outside the write
 * (the lock, the COMMIT, the fsync) rejects the call, as for a larger batch.
 */
async function lone(ctx: SqliteContext, write: CheckpointWrite): Promise<CheckpointWriteResult> {
  try {
    const event = await ctx.immediateSyncedOffLoop(() => {
      try {
        return applyWrite(ctx, write);
      } catch (err) {
        throw new Refused(asError(err));
      }
    });
    return { ok: true, event };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, error: err.error };
    throw err;
  }
}

/**
 * One transaction function a connection for the nested writes: better-sqlite3's
 * `db.transaction()` builds its wrappers on every call, and a batch made one a write.
 */
const nestedWrites = new WeakMap<SqliteContext, (write: CheckpointWrite) => EventRecord | null>();

function nestedWrite(ctx: SqliteContext): (write: CheckpointWrite) => EventRecord | null {
  let nested = nestedWrites.get(ctx);
  if (nested === undefined) {
    nested = ctx.db.transaction((write: CheckpointWrite) => applyWrite(ctx, write));
    nestedWrites.set(ctx, nested);
  }
  return nested;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * One lease check for the whole write (as on PostgreSQL, checkpoint-bulk.ts), at the latest
 * time any part names: the parts do not move the lease, so that check is each part's own check
 * or stricter, and it saves the outcome+start write (most of them) a SELECT. The finish checks
 * again, since it needs the row it reads.
 */
function applyWrite(ctx: SqliteContext, write: CheckpointWrite): EventRecord | null {
  assertLeaseHeld(ctx, write.eventId, write.leaseOwner, latestTime(write));
  for (const outcome of write.outcomes) writeStageOutcome(ctx, outcome);
  if (write.start) writeStageStart(ctx, write.start);
  return write.finish ? finishEvent(ctx, write.finish) : null;
}

function latestTime(write: CheckpointWrite): number {
  let latest = write.start ? toMs(write.start.startedAt) : 0;
  for (const outcome of write.outcomes) latest = Math.max(latest, toMs(outcome.completedAt));
  return write.finish ? Math.max(latest, toMs(write.finish.now)) : latest;
}
