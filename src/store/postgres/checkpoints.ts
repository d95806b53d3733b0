import type pg from 'pg';
import { StoreError } from '../../core/errors.js';
import { mergeSummary } from '../../core/summary.js';
import type { CheckpointRecord, EventLogEntry } from '../../core/types.js';
import type { AttemptSample, StageOutcomeWrite, StageStart } from '../store.js';
import type { Queryable } from './connection.js';
import { searchText } from '../search-text.js';
import { storableText, storableTextOrNull } from '../storable.js';
import { assertLeaseHeld } from './claims.js';
import { insertExchanges } from './exchanges.js';
import { type AttemptRow, type CheckpointRow, type EventLogRow, jsonParam, toAttempt, toCheckpoint, toEventLog } from './rows.js';

export async function recordStageStart(client: pg.PoolClient, start: StageStart): Promise<void> {
  await assertLeaseHeld(client, start.eventId, start.leaseOwner, start.startedAt);
  await client.query(
    `INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, updated_at)
     VALUES ($1, $2, 'processing', $3, $4, $4)
     ON CONFLICT (event_id, stage) DO UPDATE SET
       status = 'processing', attempts = excluded.attempts,
       started_at = excluded.started_at, completed_at = NULL, duration_ms = NULL,
       error = NULL, skip_reason = NULL, updated_at = excluded.updated_at`,
    [start.eventId, start.stage, start.attempt, start.startedAt],
  );
  await client.query(
    `INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, note)
     VALUES ($1, $2, $3, 'processing', $4, $5)`,
    [start.eventId, start.stage, start.attempt, start.startedAt, start.note ?? null],
  );
}

export async function recordStageOutcome(client: pg.PoolClient, write: StageOutcomeWrite): Promise<void> {
  const event = await assertLeaseHeld(client, write.eventId, write.leaseOwner, write.completedAt);
  const { startedAt, outcome } = write;
  const durationMs = startedAt ? write.completedAt.getTime() - startedAt.getTime() : null;
  const data = outcome.status === 'success' ? outcome.data : null;
  const error = outcome.status === 'error' ? outcome.error : null;
  const skipReason = outcome.status === 'skipped' ? outcome.skipReason : null;

  await client.query(
    `INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, completed_at, duration_ms, data, error, skip_reason, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $6)
     ON CONFLICT (event_id, stage) DO UPDATE SET
       status = excluded.status, attempts = GREATEST(checkpoints.attempts, excluded.attempts),
       started_at = excluded.started_at, completed_at = excluded.completed_at, duration_ms = excluded.duration_ms,
       data = excluded.data, error = excluded.error, skip_reason = excluded.skip_reason, updated_at = excluded.updated_at`,
    [
      write.eventId,
      write.stage,
      outcome.status,
      write.attempt,
      startedAt,
      write.completedAt,
      durationMs,
      jsonParam(data),
      jsonParam(error),
      jsonParam(skipReason),
    ],
  );

  // Close the attempt recordStageStart opened; a skip (or a recovery) that never started adds one.
  const closed = await client.query(
    `UPDATE checkpoint_attempts SET status = $4, completed_at = $5, duration_ms = $6, error = $7::jsonb,
       note = COALESCE($8, note)
     WHERE id = (SELECT id FROM checkpoint_attempts
                 WHERE event_id = $1 AND stage = $2 AND attempt = $3 AND status = 'processing'
                 ORDER BY id DESC LIMIT 1)`,
    [write.eventId, write.stage, write.attempt, outcome.status, write.completedAt, durationMs, jsonParam(error), write.note ?? null],
  );
  if (closed.rowCount === 0) {
    await client.query(
      `INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)`,
      [
        write.eventId,
        write.stage,
        write.attempt,
        outcome.status,
        startedAt ?? write.completedAt,
        write.completedAt,
        durationMs,
        jsonParam(error),
        write.note ?? null,
      ],
    );
  }

  if (write.summaryPatch !== undefined && Object.keys(write.summaryPatch).length > 0) {
    const summary = mergeSummary(event.summary ?? {}, write.summaryPatch);
    await client.query('UPDATE events SET summary = $2::jsonb, search_text = $3 WHERE id = $1', [
      write.eventId,
      jsonParam(summary),
      searchText(event.provider_event_id, summary),
    ]);
  }
  if (write.logs !== undefined && write.logs.length > 0) await insertLogs(client, write.eventId, write.logs);
  await insertExchanges(client, write.eventId, write.stage, write.attempt, write.exchanges ?? []);
}

export async function insertLogs(db: Queryable, eventId: number, logs: EventLogEntry[]): Promise<void> {
  if (logs.length === 0) return;
  await db.query(
    `INSERT INTO event_logs (event_id, at, level, stage, message, fields, attempt)
     SELECT $1, l.at, l.level, l.stage, l.message, l.fields, l.attempt
     FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::integer[]) WITH ORDINALITY
       AS l(at, level, stage, message, fields, attempt, n)
     ORDER BY l.n`,
    [
      eventId,
      logs.map((l) => l.at),
      logs.map((l) => l.level),
      logs.map((l) => storableTextOrNull(l.stage)),
      logs.map((l) => storableText(l.message)),
      logs.map((l) => jsonParam(l.fields)),
      logs.map((l) => l.attempt ?? null),
    ],
  );
}

/** Store.appendEventLogs: the event's logs, outside any stage's write. */
export function appendEventLogs(db: Queryable, eventId: number, logs: EventLogEntry[]): Promise<void> {
  return insertLogs(db, eventId, logs);
}

export async function getEventLogs(db: Queryable, eventId: number): Promise<EventLogEntry[]> {
  const result = await db.query<EventLogRow>(
    'SELECT at, level, stage, attempt, message, fields FROM event_logs WHERE event_id = $1 ORDER BY id',
    [eventId],
  );
  return result.rows.map(toEventLog);
}

export async function getCheckpointsForEvents(db: Queryable, eventIds: number[]): Promise<Map<number, CheckpointRecord[]>> {
  const byEvent = new Map<number, CheckpointRecord[]>(eventIds.map((id) => [id, []]));
  const ids = eventIds.filter((id) => Number.isSafeInteger(id));
  if (ids.length === 0) return byEvent;
  const [checkpoints, attempts] = await Promise.all([
    db.query<CheckpointRow>('SELECT * FROM checkpoints WHERE event_id = ANY($1::bigint[]) ORDER BY event_id, seq', [ids]),
    db.query<AttemptRow>('SELECT * FROM checkpoint_attempts WHERE event_id = ANY($1::bigint[]) ORDER BY id', [ids]),
  ]);
  const history = new Map<string, AttemptRow[]>();
  for (const row of attempts.rows) {
    const key = `${row.event_id}\u0000${row.stage}`;
    const list = history.get(key) ?? [];
    list.push(row);
    history.set(key, list);
  }
  for (const row of checkpoints.rows) {
    const rows = history.get(`${row.event_id}\u0000${row.stage}`) ?? [];
    byEvent.get(row.event_id)?.push(toCheckpoint(row, rows.map(toAttempt)));
  }
  return byEvent;
}

export async function getCheckpoints(db: Queryable, eventId: number): Promise<CheckpointRecord[]> {
  return (await getCheckpointsForEvents(db, [eventId])).get(eventId) ?? [];
}

export async function resetStage(client: pg.PoolClient, eventId: number, stages: readonly string[], now: Date): Promise<void> {
  // The row lock holds off a claim until this transaction ends, so the lease seen here stands.
  const current = await client.query<{ status: string; lease_expires_at: Date | null }>(
    'SELECT status, lease_expires_at FROM events WHERE id = $1 FOR UPDATE',
    [eventId],
  );
  const row = current.rows[0];
  if (row === undefined) throw new StoreError('EVENT_NOT_FOUND', `event ${eventId} does not exist`);
  if (row.status === 'processing' && row.lease_expires_at !== null && row.lease_expires_at > now) {
    throw new StoreError('EVENT_BUSY', `event ${eventId} is being processed right now; try again when it finishes`);
  }
  await client.query(
    `UPDATE events SET status = 'queued', next_attempt_at = $2, lease_owner = NULL, lease_expires_at = NULL,
       updated_at = $2
     WHERE id = $1`,
    [eventId, now],
  );
  // The history stays: only the checkpoint's current state goes back to pending.
  await client.query(
    `UPDATE checkpoints SET status = 'pending', started_at = NULL, completed_at = NULL, duration_ms = NULL,
       data = NULL, error = NULL, skip_reason = NULL, updated_at = $3
     WHERE event_id = $1 AND stage = ANY($2::text[])`,
    [eventId, [...stages], now],
  );
}

/** (Default limit: 10,000) */
export async function attemptSamples(db: Queryable, since: Date, limit = 10_000): Promise<AttemptSample[]> {
  const result = await db.query<{ stage: string; status: AttemptSample['status']; completed_at: Date; duration_ms: number | null }>(
    `SELECT stage, status, completed_at, duration_ms FROM checkpoint_attempts
     WHERE completed_at >= $1 AND status <> 'processing'
     ORDER BY completed_at DESC, id DESC LIMIT $2`,
    [since, limit],
  );
  return result.rows.map((row) => ({
    stage: row.stage,
    status: row.status,
    completedAt: row.completed_at,
    durationMs: row.duration_ms,
  }));
}
