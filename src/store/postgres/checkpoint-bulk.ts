import type pg from 'pg';
import { LeaseLostError } from '../../core/errors.js';
import { mergeSummary } from '../../core/summary.js';
import type { EventRecord, EventSummary } from '../../core/types.js';
import { searchText } from '../search-text.js';
import { storableText, storableTextOrNull } from '../storable.js';
import type { CheckpointWrite, CheckpointWriteResult, EventFinish, StageOutcomeWrite } from '../store.js';
import { insertExchangeRows } from './exchanges.js';
import { type EventRow, jsonParam, toEvent } from './rows.js';

/**
 * A checkpoint batch in a fixed number of statements, whatever its size: on PostgreSQL each
 * statement is a round trip, and eight of them per event (lock, outcome, attempt, start…) in
 * one transaction made the batch's round trips, not its commit, the bound.
 *
 * The same writes as the single calls, in set form: lock every event row of the batch (in id
 * order) and check each lease in JS (a fenced write is left out and reported alone), then
 * every outcome, every attempt-history row, every summary patch and log line, every
 * `processing` mark, every finish, each as one statement over arrays. Anything else that goes
 * wrong throws: the caller then rolls this back and applies the writes one by one, each behind
 * its own savepoint, so a refused write still fails alone.
 */
export async function writeCheckpointsInBulk(
  client: pg.PoolClient,
  writes: CheckpointWrite[],
  wake: () => Promise<void>,
): Promise<CheckpointWriteResult[]> {
  const ids = writes.map((w) => w.eventId);
  if (new Set(ids).size !== ids.length) throw new Error('one event twice in a checkpoint batch');
  const locked = await client.query<EventRow>('SELECT * FROM events WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [ids]);
  const rows = new Map(locked.rows.map((row) => [Number(row.id), row]));
  const results: CheckpointWriteResult[] = [];
  const accepted: Array<{ write: CheckpointWrite; row: EventRow; index: number }> = [];
  writes.forEach((write, index) => {
    const row = rows.get(write.eventId);
    if (!row || !leaseHeld(row, write)) results[index] = { ok: false, error: new LeaseLostError(write.eventId, write.leaseOwner) };
    else accepted.push({ write, row, index });
  });

  const outcomes = accepted.flatMap(({ write }) => write.outcomes);
  await upsertOutcomes(client, outcomes);
  await closeOrAddAttempts(client, outcomes);
  await patchSummaries(client, accepted);
  await insertLogs(client, outcomes);
  await insertExchangeRows(
    client,
    outcomes.flatMap((o) => (o.exchanges ?? []).map((exchange) => ({ eventId: o.eventId, stage: o.stage, attempt: o.attempt, exchange }))),
  );
  await markProcessing(
    client,
    accepted.flatMap(({ write }) => (write.start ? [write.start] : [])),
  );
  const finished = await finishEvents(
    client,
    accepted.flatMap(({ write, row }) => (write.finish ? [{ finish: write.finish, row }] : [])),
  );
  for (const { write, index } of accepted)
    results[index] = { ok: true, event: write.finish ? (finished.get(write.eventId) ?? null) : null };
  if ([...finished.values()].some((e) => e.status === 'retrying' || e.status === 'queued')) await wake();
  return results;
}

/** Held at the latest time any part of the write names (held then: held for all of them). */
function leaseHeld(row: EventRow, write: CheckpointWrite): boolean {
  const times = [...write.outcomes.map((o) => o.completedAt), write.start?.startedAt, write.finish?.now].filter(
    (t): t is Date => t !== undefined,
  );
  const at = Math.max(0, ...times.map((t) => t.getTime()));
  return (
    row.status === 'processing' &&
    row.lease_owner === write.leaseOwner &&
    row.lease_expires_at !== null &&
    row.lease_expires_at.getTime() > at
  );
}

const durationOf = (o: StageOutcomeWrite): number | null => (o.startedAt ? o.completedAt.getTime() - o.startedAt.getTime() : null);
const errorOf = (o: StageOutcomeWrite): string | null => (o.outcome.status === 'error' ? jsonParam(o.outcome.error) : null);

async function upsertOutcomes(client: pg.PoolClient, outcomes: StageOutcomeWrite[]): Promise<void> {
  if (outcomes.length === 0) return;
  await client.query(
    `INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, completed_at, duration_ms, data, error, skip_reason, updated_at)
     SELECT u.event_id, u.stage, u.status, u.attempts, u.started_at, u.completed_at, u.duration_ms, u.data, u.error, u.skip_reason, u.completed_at
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::float8[], $8::jsonb[], $9::jsonb[], $10::jsonb[])
       WITH ORDINALITY AS u(event_id, stage, status, attempts, started_at, completed_at, duration_ms, data, error, skip_reason, n)
     ORDER BY u.n
     ON CONFLICT (event_id, stage) DO UPDATE SET
       status = excluded.status, attempts = GREATEST(checkpoints.attempts, excluded.attempts),
       started_at = excluded.started_at, completed_at = excluded.completed_at, duration_ms = excluded.duration_ms,
       data = excluded.data, error = excluded.error, skip_reason = excluded.skip_reason, updated_at = excluded.updated_at`,
    [
      outcomes.map((o) => o.eventId),
      outcomes.map((o) => o.stage),
      outcomes.map((o) => o.outcome.status),
      outcomes.map((o) => o.attempt),
      outcomes.map((o) => o.startedAt),
      outcomes.map((o) => o.completedAt),
      outcomes.map(durationOf),
      outcomes.map((o) => (o.outcome.status === 'success' ? jsonParam(o.outcome.data) : null)),
      outcomes.map(errorOf),
      outcomes.map((o) => (o.outcome.status === 'skipped' ? jsonParam(o.outcome.skipReason) : null)),
    ],
  );
}

/** Closes the attempt each outcome's `processing` mark opened; a skip (or a recovery) adds one. */
async function closeOrAddAttempts(client: pg.PoolClient, outcomes: StageOutcomeWrite[]): Promise<void> {
  if (outcomes.length === 0) return;
  const closed = await client.query<{ n: string }>(
    `UPDATE checkpoint_attempts a SET status = u.status, completed_at = u.completed_at, duration_ms = u.duration_ms,
       error = u.error, note = COALESCE(u.note, a.note)
     FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::float8[], $7::jsonb[], $8::text[])
       WITH ORDINALITY AS u(event_id, stage, attempt, status, completed_at, duration_ms, error, note, n)
     WHERE a.id = (SELECT max(x.id) FROM checkpoint_attempts x
                   WHERE x.event_id = u.event_id AND x.stage = u.stage AND x.attempt = u.attempt AND x.status = 'processing')
     RETURNING u.n`,
    [
      outcomes.map((o) => o.eventId),
      outcomes.map((o) => o.stage),
      outcomes.map((o) => o.attempt),
      outcomes.map((o) => o.outcome.status),
      outcomes.map((o) => o.completedAt),
      outcomes.map(durationOf),
      outcomes.map(errorOf),
      outcomes.map((o) => o.note ?? null),
    ],
  );
  const done = new Set(closed.rows.map((r) => Number(r.n) - 1));
  const opened = outcomes.filter((_, i) => !done.has(i));
  if (opened.length === 0) return;
  await client.query(
    `INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note)
     SELECT u.event_id, u.stage, u.attempt, u.status, u.started_at, u.completed_at, u.duration_ms, u.error, u.note
     FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::float8[], $8::jsonb[], $9::text[])
       WITH ORDINALITY AS u(event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note, n)
     ORDER BY u.n`,
    [
      opened.map((o) => o.eventId),
      opened.map((o) => o.stage),
      opened.map((o) => o.attempt),
      opened.map((o) => o.outcome.status),
      opened.map((o) => o.startedAt ?? o.completedAt),
      opened.map((o) => o.completedAt),
      opened.map(durationOf),
      opened.map(errorOf),
      opened.map((o) => o.note ?? null),
    ],
  );
}

async function patchSummaries(client: pg.PoolClient, accepted: Array<{ write: CheckpointWrite; row: EventRow }>): Promise<void> {
  const patched: Array<{ id: number; summary: EventSummary; searchText: string }> = [];
  for (const { write, row } of accepted) {
    const patches = write.outcomes.flatMap((o) => (o.summaryPatch && Object.keys(o.summaryPatch).length > 0 ? [o.summaryPatch] : []));
    if (patches.length === 0) continue;
    const summary = patches.reduce<EventSummary>((merged, patch) => mergeSummary(merged, patch), row.summary ?? {});
    patched.push({ id: write.eventId, summary, searchText: searchText(row.provider_event_id, summary) });
  }
  if (patched.length === 0) return;
  await client.query(
    `UPDATE events e SET summary = u.summary, search_text = u.search_text
     FROM unnest($1::bigint[], $2::jsonb[], $3::text[]) AS u(id, summary, search_text) WHERE e.id = u.id`,
    [patched.map((p) => p.id), patched.map((p) => jsonParam(p.summary)), patched.map((p) => p.searchText)],
  );
}

async function insertLogs(client: pg.PoolClient, outcomes: StageOutcomeWrite[]): Promise<void> {
  const logs = outcomes.flatMap((o) => (o.logs ?? []).map((log) => ({ eventId: o.eventId, log })));
  if (logs.length === 0) return;
  await client.query(
    `INSERT INTO event_logs (event_id, at, level, stage, message, fields, attempt)
     SELECT l.event_id, l.at, l.level, l.stage, l.message, l.fields, l.attempt
     FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::integer[]) WITH ORDINALITY
       AS l(event_id, at, level, stage, message, fields, attempt, n)
     ORDER BY l.n`,
    [
      logs.map((l) => l.eventId),
      logs.map((l) => l.log.at),
      logs.map((l) => l.log.level),
      logs.map((l) => storableTextOrNull(l.log.stage)),
      logs.map((l) => storableText(l.log.message)),
      logs.map((l) => jsonParam(l.log.fields)),
      logs.map((l) => l.log.attempt ?? null),
    ],
  );
}

async function markProcessing(client: pg.PoolClient, starts: NonNullable<CheckpointWrite['start']>[]): Promise<void> {
  if (starts.length === 0) return;
  const params = [starts.map((s) => s.eventId), starts.map((s) => s.stage), starts.map((s) => s.attempt), starts.map((s) => s.startedAt)];
  await client.query(
    `INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, updated_at)
     SELECT u.event_id, u.stage, 'processing', u.attempt, u.started_at, u.started_at
     FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[]) WITH ORDINALITY AS u(event_id, stage, attempt, started_at, n)
     ORDER BY u.n
     ON CONFLICT (event_id, stage) DO UPDATE SET
       status = 'processing', attempts = excluded.attempts,
       started_at = excluded.started_at, completed_at = NULL, duration_ms = NULL,
       error = NULL, skip_reason = NULL, updated_at = excluded.updated_at`,
    params,
  );
  await client.query(
    `INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, note)
     SELECT u.event_id, u.stage, u.attempt, 'processing', u.started_at, u.note
     FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::text[]) WITH ORDINALITY AS u(event_id, stage, attempt, started_at, note, n)
     ORDER BY u.n`,
    [...params, starts.map((s) => s.note ?? null)],
  );
}

async function finishEvents(
  client: pg.PoolClient,
  finishes: Array<{ finish: EventFinish; row: EventRow }>,
): Promise<Map<number, EventRecord>> {
  if (finishes.length === 0) return new Map();
  // As finishEvent: fields left undefined keep what the event had; null clears them.
  const values = finishes.map(({ finish, row }) => ({
    id: finish.eventId,
    status: finish.status,
    nextAttemptAt: finish.status === 'retrying' ? (finish.nextAttemptAt ?? finish.now) : finish.status === 'queued' ? finish.now : null,
    lastError: jsonParam(finish.lastError !== undefined ? finish.lastError : row.last_error),
    ignoreReason: jsonParam(finish.ignoreReason !== undefined ? finish.ignoreReason : row.ignore_reason),
    pipeline: finish.pipeline !== undefined ? finish.pipeline : row.pipeline,
    now: finish.now,
  }));
  const result = await client.query<EventRow>(
    `UPDATE events e SET status = u.status, next_attempt_at = u.next_attempt_at, last_error = u.last_error,
       ignore_reason = u.ignore_reason, pipeline = u.pipeline, lease_owner = NULL, lease_expires_at = NULL, updated_at = u.now
     FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::jsonb[], $5::jsonb[], $6::text[], $7::timestamptz[])
       AS u(id, status, next_attempt_at, last_error, ignore_reason, pipeline, now)
     WHERE e.id = u.id RETURNING e.*`,
    [
      values.map((v) => v.id),
      values.map((v) => v.status),
      values.map((v) => v.nextAttemptAt),
      values.map((v) => v.lastError),
      values.map((v) => v.ignoreReason),
      values.map((v) => v.pipeline),
      values.map((v) => v.now),
    ],
  );
  await resolveFinishedEventsAlerts(
    client,
    finishes.map(({ finish }) => finish),
  );
  return new Map(result.rows.map((row) => [Number(row.id), toEvent(row)]));
}

/** EventFinish.resolveAlerts for the whole batch: one statement per distinct list of kinds. */
async function resolveFinishedEventsAlerts(client: pg.PoolClient, finishes: EventFinish[]): Promise<void> {
  const byKinds = new Map<string, EventFinish[]>();
  for (const finish of finishes) {
    if (!finish.resolveAlerts || finish.resolveAlerts.length === 0) continue;
    const key = JSON.stringify(finish.resolveAlerts);
    byKinds.set(key, [...(byKinds.get(key) ?? []), finish]);
  }
  for (const group of byKinds.values()) {
    await client.query(
      `UPDATE alerts a SET resolved_at = u.now FROM unnest($1::bigint[], $2::timestamptz[]) AS u(event_id, now)
       WHERE a.event_id = u.event_id AND a.resolved_at IS NULL AND a.kind = ANY($3::text[])`,
      [group.map((f) => f.eventId), group.map((f) => f.now), [...(group[0]?.resolveAlerts ?? [])]],
    );
  }
}
