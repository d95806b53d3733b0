import type { EventRecord } from '../../core/types.js';
import type { CheckpointWrite, CheckpointWriteResult } from '../store.js';
import type { SqliteContext } from './connection.js';
import { finishEvent } from './claims.js';
import { recordStageOutcome, recordStageStart } from './checkpoints.js';

/**
 * Several events' checkpoint writes in one IMMEDIATE transaction: one commit, one fsync. Each
 * write runs in a nested transaction (a SAVEPOINT in better-sqlite3): a write that is fenced
 * (lease lost) or refused rolls back alone and is reported in its result; the rest commit.
 * The statements of each part are the single-write ones (they see the open transaction and
 * do not start their own).
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
  return ctx.immediateSyncedOffLoop(() =>
    writes.map((write): CheckpointWriteResult => {
      try {
        return { ok: true, event: ctx.db.transaction(() => applyWrite(ctx, write))() };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
      }
    }),
  );
}

function applyWrite(ctx: SqliteContext, write: CheckpointWrite): EventRecord | null {
  for (const outcome of write.outcomes) recordStageOutcome(ctx, outcome);
  if (write.start) recordStageStart(ctx, write.start);
  return write.finish ? finishEvent(ctx, write.finish) : null;
}
