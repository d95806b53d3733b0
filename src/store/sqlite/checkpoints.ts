import { StoreError } from '../../core/errors.js';
import type { CheckpointRecord, EventLogEntry, LogLevel } from '../../core/types.js';
import type { AttemptSample, StageOutcomeWrite, StageStart } from '../store.js';
import type { SqliteContext } from './connection.js';
import { assertLeaseLive } from './claims.js';
import { fromJson, toAttempt, toCheckpoint, toDate, toMs, type AttemptRow, type CheckpointRow } from './rows.js';
import { insertLogs, writeStageOutcomes, writeStageStarts } from './stage-writes.js';

/** Checkpoints, their attempt history, event logs and the samples metrics are built from. */

/** Where the log lines of a write are added (stage-writes.ts); home.ts adds its own with it. */
export { insertLogs };

export function recordStageStart(ctx: SqliteContext, start: StageStart): void {
  ctx.immediate(() => {
    assertLeaseLive(ctx, start.eventId, start.leaseOwner, toMs(start.startedAt));
    writeStageStarts(ctx, [start]);
  });
}

export function recordStageOutcome(ctx: SqliteContext, write: StageOutcomeWrite): void {
  ctx.immediate(() => {
    assertLeaseLive(ctx, write.eventId, write.leaseOwner, toMs(write.completedAt));
    writeStageOutcomes(ctx, [write]);
  });
}

const SELECT_CHECKPOINTS = `SELECT event_id, stage, status, attempts, started_at, completed_at, duration_ms, data, error,
    skip_reason, updated_at
  FROM checkpoints WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, rowid`;
const SELECT_ATTEMPTS = `SELECT event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note
  FROM checkpoint_attempts WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY id`;

export function getCheckpointsForEvents(ctx: SqliteContext, eventIds: number[]): Map<number, CheckpointRecord[]> {
  const result = new Map<number, CheckpointRecord[]>();
  if (eventIds.length === 0) return result;
  const ids = JSON.stringify(eventIds);
  const histories = new Map<string, ReturnType<typeof toAttempt>[]>();
  for (const row of ctx.all<AttemptRow>(SELECT_ATTEMPTS, ids)) {
    const key = `${row.event_id}\u0000${row.stage}`;
    const list = histories.get(key) ?? [];
    list.push(toAttempt(row));
    histories.set(key, list);
  }
  for (const row of ctx.all<CheckpointRow>(SELECT_CHECKPOINTS, ids)) {
    const list = result.get(row.event_id) ?? [];
    list.push(toCheckpoint(row, histories.get(`${row.event_id}\u0000${row.stage}`) ?? []));
    result.set(row.event_id, list);
  }
  return result;
}

export function getCheckpoints(ctx: SqliteContext, eventId: number): CheckpointRecord[] {
  return getCheckpointsForEvents(ctx, [eventId]).get(eventId) ?? [];
}

export function resetStage(ctx: SqliteContext, eventId: number, stages: readonly string[], now: Date): void {
  const at = toMs(now);
  ctx.immediate(() => {
    // Checked in the same IMMEDIATE transaction as the reset: a worker cannot claim in between.
    const current = ctx.get<{ status: string; lease_expires_at: number | null }>(
      'SELECT status, lease_expires_at FROM events WHERE id = ?',
      eventId,
    );
    if (current === undefined) throw new StoreError('EVENT_NOT_FOUND', `event ${eventId} does not exist`);
    if (current.status === 'processing' && current.lease_expires_at !== null && current.lease_expires_at > at) {
      throw new StoreError('EVENT_BUSY', `event ${eventId} is being processed right now; try again when it finishes`);
    }
    ctx.run(
      `UPDATE events
        SET status = 'queued', next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
        WHERE id = @id`,
      { id: eventId, now: at },
    );
    ctx.run(
      `UPDATE checkpoints
        SET status = 'pending', started_at = NULL, completed_at = NULL, duration_ms = NULL, data = NULL,
            error = NULL, skip_reason = NULL, updated_at = @now
        WHERE event_id = @id AND stage IN (SELECT value FROM json_each(@stages))`,
      { id: eventId, stages: JSON.stringify(stages), now: at },
    );
  });
  ctx.wake();
}

interface LogRow {
  at: number;
  level: string;
  stage: string | null;
  attempt: number | null;
  message: string;
  fields: string | null;
}

export function getEventLogs(ctx: SqliteContext, eventId: number): EventLogEntry[] {
  return ctx
    .all<LogRow>('SELECT at, level, stage, attempt, message, fields FROM event_logs WHERE event_id = ? ORDER BY id', eventId)
    .map((row) => ({
      at: toDate(row.at),
      level: row.level as LogLevel,
      stage: row.stage,
      attempt: row.attempt,
      message: row.message,
      fields: fromJson(row.fields),
    }));
}

/** A run's log lines (RunJournal.log): committed with the fsync off the event loop. */
export async function appendEventLogs(ctx: SqliteContext, eventId: number, logs: EventLogEntry[]): Promise<void> {
  if (logs.length === 0) return;
  await ctx.immediateSyncedOffLoop(() => insertLogs(ctx, eventId, logs));
}

/** (Default limit: 10 000 samples, newest first) */
export function attemptSamples(ctx: SqliteContext, since: Date, limit = 10_000): AttemptSample[] {
  return ctx
    .all<{ stage: string; status: AttemptSample['status']; completed_at: number; duration_ms: number | null }>(
      `SELECT stage, status, completed_at, duration_ms FROM checkpoint_attempts
        WHERE completed_at >= ? ORDER BY completed_at DESC, id DESC LIMIT ?`,
      toMs(since),
      limit,
    )
    .map((row) => ({ stage: row.stage, status: row.status, completedAt: toDate(row.completed_at), durationMs: row.duration_ms }));
}
