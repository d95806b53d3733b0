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
 */
export function writeCheckpoints(ctx: SqliteContext, writes: CheckpointWrite[]): CheckpointWriteResult[] {
  if (writes.length === 0) return [];
  return ctx.immediate(() =>
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
