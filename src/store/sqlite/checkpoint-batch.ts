import { LeaseLostError } from '../../core/errors.js';
import type { EventRecord } from '../../core/types.js';
import type { CheckpointWrite, CheckpointWriteResult } from '../store.js';
import type { SqliteContext } from './connection.js';
import { assertLeaseLive, finishEvent, leasesLive } from './claims.js';
import { writeStageOutcomes, writeStageStarts } from './stage-writes.js';
import { toMs } from './rows.js';

/**
 * Several events' checkpoint writes in one IMMEDIATE transaction: one commit, one fsync. A
 * write that is fenced (lease lost) or refused fails alone and is reported in its result; the
 * rest commit. The batch's leases are checked in one statement, and the parts of its writes
 * go kind by kind in multi-row statements (applyAll): 5 statements for a batch of
 * outcome + next mark writes, however many it holds, where it was 5 a write. The same
 * functions write a lone part (recordStageStart, recordStageOutcome): a batch of one.
 *
 * Most batches are refused nothing, so they are first applied behind ONE savepoint for the
 * whole batch (a fenced write is found by its lease check, its first statement, before it
 * writes anything: it needs no rollback). Only when the database refuses a write half-way is
 * that savepoint rolled back and the batch applied again with a savepoint per write, the
 * refused one rolling back alone — as PostgreSQL goes one by one after its one-call path
 * (checkpoint-batch.ts there). A savepoint a write (SAVEPOINT and RELEASE, two statements)
 * was 7 % of the worker's CPU at concurrency 32. A write alone in its batch needs no
 * savepoint at all: when it is refused its own transaction rolls back (lone()).
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
  const paths = batchPaths(ctx);
  return ctx.immediateSyncedOffLoop(() => {
    try {
      return paths.whole(writes);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      return writes.map(paths.savepointed);
    }
  });
}

/** A write refused half-way, carried out of the savepoint or transaction it rolls back. */
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
        checkLease(ctx, write);
        return applyParts(ctx, write);
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

interface BatchPaths {
  /** Every write behind one savepoint; throws Refused (the savepoint rolled back) when one is refused half-way. */
  whole: (writes: CheckpointWrite[]) => CheckpointWriteResult[];
  /** One write behind its own savepoint: refused, it rolls back alone. */
  savepointed: (write: CheckpointWrite) => CheckpointWriteResult;
}

/**
 * The transaction functions of a connection, built once: better-sqlite3's `db.transaction()`
 * builds its wrappers on every call.
 */
const pathsByContext = new WeakMap<SqliteContext, BatchPaths>();

function batchPaths(ctx: SqliteContext): BatchPaths {
  let paths = pathsByContext.get(ctx);
  if (paths !== undefined) return paths;
  const whole = ctx.db.transaction((writes: CheckpointWrite[]) => applyAll(ctx, writes));
  const one = ctx.db.transaction((write: CheckpointWrite) => {
    checkLease(ctx, write);
    return applyParts(ctx, write);
  });
  paths = {
    whole,
    savepointed: (write) => {
      try {
        return { ok: true, event: one(write) };
      } catch (err) {
        return { ok: false, error: asError(err) };
      }
    },
  };
  pathsByContext.set(ctx, paths);
  return paths;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * One lease check for the whole write (as on PostgreSQL, checkpoint-bulk.ts), at the latest
 * time any part names: the parts do not move the lease, so that check is each part's own check
 * or stricter, and it saves the outcome+start write (most of them) a SELECT. It reads only:
 * a write it fences has written nothing.
 */
function checkLease(ctx: SqliteContext, write: CheckpointWrite): void {
  assertLeaseLive(ctx, write.eventId, write.leaseOwner, latestTime(write));
}

/** The write's parts, once its lease is checked. */
function applyParts(ctx: SqliteContext, write: CheckpointWrite): EventRecord | null {
  writeStageOutcomes(ctx, write.outcomes);
  if (write.start) writeStageStarts(ctx, [write.start]);
  return write.finish ? finishEvent(ctx, write.finish) : null;
}

/**
 * The whole batch behind its one savepoint: every lease in one read-only statement (a fenced
 * write fails alone, having written nothing), then the live writes' parts. When the live
 * writes are of different events — always, from the worker: a run waits for each write before
 * its next — their parts go kind by kind: all the outcomes, all the `processing` marks, each
 * finish. Each event's parts keep their order (outcomes, mark, finish), and no event's part
 * reads what another's wrote, so this is the result of applying them one write after another,
 * with the checkpoints and the new attempt rows in one statement each for the batch
 * (writeStageOutcomes, writeStageStarts). Two writes of one event go one after the other, as written.
 * Refused anywhere: Refused, and the caller applies the batch again one write at a time.
 */
function applyAll(ctx: SqliteContext, writes: readonly CheckpointWrite[]): CheckpointWriteResult[] {
  const results: CheckpointWriteResult[] = new Array<CheckpointWriteResult>(writes.length);
  const live = liveWrites(ctx, writes, results);
  try {
    if (new Set(live.map((i) => writes[i]!.eventId)).size < live.length) {
      for (const i of live) results[i] = { ok: true, event: applyParts(ctx, writes[i]!) };
      return results;
    }
    writeStageOutcomes(
      ctx,
      live.flatMap((i) => writes[i]!.outcomes),
    );
    writeStageStarts(
      ctx,
      live.flatMap((i) => writes[i]!.start ?? []),
    );
    for (const i of live) {
      const { finish } = writes[i]!;
      results[i] = { ok: true, event: finish ? finishEvent(ctx, finish) : null };
    }
    return results;
  } catch (err) {
    throw new Refused(asError(err));
  }
}

/**
 * The indexes of the writes whose lease holds, in order; each other write's result is set to
 * its failure (LeaseLostError, or the error of a time it names that is not a valid Date).
 */
function liveWrites(ctx: SqliteContext, writes: readonly CheckpointWrite[], results: CheckpointWriteResult[]): number[] {
  const checked: number[] = [];
  const checks = [];
  for (const [i, write] of writes.entries()) {
    try {
      checks.push({ eventId: write.eventId, owner: write.leaseOwner, now: latestTime(write) });
      checked.push(i);
    } catch (err) {
      results[i] = { ok: false, error: asError(err) };
    }
  }
  const held = leasesLive(ctx, checks);
  return checked.filter((i, n) => {
    if (held.has(n)) return true;
    results[i] = { ok: false, error: new LeaseLostError(writes[i]!.eventId, writes[i]!.leaseOwner) };
    return false;
  });
}

function latestTime(write: CheckpointWrite): number {
  let latest = write.start ? toMs(write.start.startedAt) : 0;
  for (const outcome of write.outcomes) latest = Math.max(latest, toMs(outcome.completedAt));
  return write.finish ? Math.max(latest, toMs(write.finish.now)) : latest;
}
