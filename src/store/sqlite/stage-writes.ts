import { mergeSummary } from '../../core/summary.js';
import type { EventLogEntry, EventSummary } from '../../core/types.js';
import type { StageOutcomeWrite, StageStart } from '../store.js';
import type { SqliteContext } from './connection.js';
import { insertExchanges } from './exchanges.js';
import { MultiRowStatement } from './multi-row.js';
import { toJson, toMs } from './rows.js';
import { searchText } from '../search-text.js';
import { storableText, storableTextOrNull } from '../storable.js';

/**
 * The statements of checkpoint writes — `processing` marks and outcomes with what they carry —
 * for any number at once (a checkpoint batch's, or one), inside a transaction whose caller has
 * checked each write's lease (checkpoint-batch.ts, checkpoints.ts).
 */

// The `processing` marks of many stages (a whole checkpoint batch's) in one statement each.
const START_CHECKPOINTS = new MultiRowStatement<StageStart>(
  `INSERT INTO checkpoints
    (event_id, stage, status, attempts, started_at, completed_at, duration_ms, error, skip_reason, updated_at) VALUES`,
  `(?, ?, 'processing', ?, ?, NULL, NULL, NULL, NULL, ?)`,
  `ON CONFLICT (event_id, stage) DO UPDATE SET
    status = 'processing', attempts = excluded.attempts, started_at = excluded.started_at,
    completed_at = NULL, duration_ms = NULL, error = NULL, skip_reason = NULL, updated_at = excluded.updated_at`,
  (start) => {
    const startedAt = toMs(start.startedAt);
    return [start.eventId, start.stage, start.attempt, startedAt, startedAt];
  },
);

const OPEN_ATTEMPTS = new MultiRowStatement<StageStart>(
  `INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note) VALUES`,
  `(?, ?, ?, 'processing', ?, NULL, NULL, NULL, ?)`,
  '',
  (start) => [start.eventId, start.stage, start.attempt, toMs(start.startedAt), start.note ?? null],
);

/**
 * recordStageStart's statements for many stages at once (of different events, or one), for a
 * caller that has checked each lease in this transaction: two statements in all.
 */
export function writeStageStarts(ctx: SqliteContext, starts: readonly StageStart[]): void {
  if (starts.length === 0) return;
  START_CHECKPOINTS.run(ctx, starts);
  OPEN_ATTEMPTS.run(ctx, starts);
}

/** An outcome as its rows store it: JSON encoded and times in ms once, for both tables. */
interface OutcomeRow {
  write: StageOutcomeWrite;
  status: string;
  startedAt: number | null;
  completedAt: number;
  durationMs: number | null;
  data: string | null;
  error: string | null;
  skipReason: string | null;
}

function outcomeRow(write: StageOutcomeWrite): OutcomeRow {
  const completedAt = toMs(write.completedAt);
  const startedAt = write.startedAt === null ? null : toMs(write.startedAt);
  const { outcome } = write;
  return {
    write,
    status: outcome.status,
    startedAt,
    completedAt,
    durationMs: startedAt === null ? null : completedAt - startedAt,
    data: outcome.status === 'success' ? toJson(outcome.data) : null,
    error: outcome.status === 'error' ? toJson(outcome.error) : null,
    skipReason: outcome.status === 'skipped' ? toJson(outcome.skipReason) : null,
  };
}

// Several rows for one (event, stage) in one statement are applied in order, as separate
// statements would be (SQLite's upsert goes row by row).
const FINISH_CHECKPOINTS = new MultiRowStatement<OutcomeRow>(
  `INSERT INTO checkpoints
    (event_id, stage, status, attempts, started_at, completed_at, duration_ms, data, error, skip_reason, updated_at) VALUES`,
  '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  `ON CONFLICT (event_id, stage) DO UPDATE SET
    status = excluded.status, attempts = max(checkpoints.attempts, excluded.attempts),
    started_at = excluded.started_at, completed_at = excluded.completed_at, duration_ms = excluded.duration_ms,
    data = excluded.data, error = excluded.error, skip_reason = excluded.skip_reason, updated_at = excluded.updated_at`,
  (row) => [
    row.write.eventId,
    row.write.stage,
    row.status,
    row.write.attempt,
    row.startedAt,
    row.completedAt,
    row.durationMs,
    row.data,
    row.error,
    row.skipReason,
    row.completedAt,
  ],
);

// The attempt's row each outcome's start opened, if any (a skip never started has none): the
// latest `processing` row of that attempt. Only the target's columns can be returned from an
// UPDATE … FROM, so the closed rows are told by their (event, stage, attempt).
const CLOSE_ATTEMPTS = new MultiRowStatement<OutcomeRow>(
  `UPDATE checkpoint_attempts AS a
    SET status = w.column4, completed_at = w.column5, duration_ms = w.column6, error = w.column7, note = coalesce(w.column8, a.note)
    FROM (VALUES`,
  '(?, ?, ?, ?, ?, ?, ?, ?)',
  `) AS w
    WHERE a.id = (SELECT max(id) FROM checkpoint_attempts
                  WHERE event_id = w.column1 AND stage = w.column2 AND attempt = w.column3 AND status = 'processing')
    RETURNING event_id, stage, attempt`,
  (row) => [
    row.write.eventId,
    row.write.stage,
    row.write.attempt,
    row.status,
    row.completedAt,
    row.durationMs,
    row.error,
    row.write.note ?? null,
  ],
);

const CLOSE_ATTEMPT = `UPDATE checkpoint_attempts
  SET status = ?, completed_at = ?, duration_ms = ?, error = ?, note = coalesce(?, note)
  WHERE id = (SELECT max(id) FROM checkpoint_attempts
              WHERE event_id = ? AND stage = ? AND attempt = ? AND status = 'processing')`;

// An outcome's attempt row when its start opened none.
const INSERT_ATTEMPTS = new MultiRowStatement<OutcomeRow>(
  `INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note) VALUES`,
  '(?, ?, ?, ?, ?, ?, ?, ?, ?)',
  '',
  (row) => [
    row.write.eventId,
    row.write.stage,
    row.write.attempt,
    row.status,
    row.startedAt ?? row.completedAt,
    row.completedAt,
    row.durationMs,
    row.error,
    row.write.note ?? null,
  ],
);

const attemptKey = (eventId: number, stage: string, attempt: number): string => `${eventId}\u0000${stage}\u0000${attempt}`;

const INSERT_LOGS = new MultiRowStatement<{ eventId: number; log: EventLogEntry }>(
  'INSERT INTO event_logs (event_id, at, level, stage, attempt, message, fields) VALUES',
  '(?, ?, ?, ?, ?, ?, ?)',
  '',
  ({ eventId, log }) => [
    eventId,
    toMs(log.at),
    log.level,
    storableTextOrNull(log.stage),
    log.attempt ?? null,
    storableText(log.message),
    toJson(log.fields),
  ],
);
/**
 * recordStageOutcome's statements for many outcomes at once, in order, for a caller that has
 * checked each lease in this transaction: the checkpoints in one statement, their attempt
 * rows in one or two (closeAttempts), each summary patch, then every log line and every
 * HTTP exchange in one statement each.
 */
export function writeStageOutcomes(ctx: SqliteContext, writes: readonly StageOutcomeWrite[]): void {
  if (writes.length === 0) return;
  const rows = writes.map(outcomeRow);
  FINISH_CHECKPOINTS.run(ctx, rows);
  closeAttempts(ctx, rows);
  for (const { write } of rows) {
    if (write.summaryPatch !== undefined && Object.keys(write.summaryPatch).length > 0) {
      patchSummary(ctx, write.eventId, write.summaryPatch);
    }
  }
  insertLogRows(
    ctx,
    writes.flatMap((write) => (write.logs ?? []).map((log) => ({ eventId: write.eventId, log }))),
  );
  insertExchanges(
    ctx,
    writes.flatMap(({ eventId, stage, attempt, exchanges = [] }) => exchanges.map((exchange) => ({ eventId, stage, attempt, exchange }))),
  );
}

/**
 * Closes the attempt row of each outcome, or adds one: one statement each for the batch. Two
 * outcomes of one attempt (never from the worker) go one by one, in order, as UPDATE … FROM
 * would pick one of them for the row; so does a lone outcome, for which the plain UPDATE costs
 * half the UPDATE … FROM (8 µs against 16 in bench/README.md's statement timings).
 */
function closeAttempts(ctx: SqliteContext, rows: readonly OutcomeRow[]): void {
  const keys = new Set(rows.map(({ write }) => attemptKey(write.eventId, write.stage, write.attempt)));
  if (rows.length === 1 || keys.size < rows.length) {
    for (const row of rows) if (!closeAttempt(ctx, row)) INSERT_ATTEMPTS.run(ctx, [row]);
    return;
  }
  const closed = CLOSE_ATTEMPTS.all<{ event_id: number; stage: string; attempt: number }>(ctx, rows);
  if (closed.length === rows.length) return;
  for (const row of closed) keys.delete(attemptKey(row.event_id, row.stage, row.attempt));
  INSERT_ATTEMPTS.run(
    ctx,
    rows.filter(({ write }) => keys.has(attemptKey(write.eventId, write.stage, write.attempt))),
  );
}

/** CLOSE_ATTEMPTS for one outcome; false when its start opened no row. */
function closeAttempt(ctx: SqliteContext, row: OutcomeRow): boolean {
  const { write } = row;
  return (
    ctx.run(
      CLOSE_ATTEMPT,
      row.status,
      row.completedAt,
      row.durationMs,
      row.error,
      write.note ?? null,
      write.eventId,
      write.stage,
      write.attempt,
    ).changes > 0
  );
}

/**
 * Merges a stage's annotate() into the event's summary. Only what changes is written: setting
 * `search_text` fires the text index's update trigger (migration 0012: an FTS5 'delete' and a
 * trigram insert, whether or not the text changed), so a patch that leaves the searched fields
 * as they were sets `summary` alone, and one that changes nothing writes nothing.
 */
function patchSummary(ctx: SqliteContext, eventId: number, patch: EventSummary): void {
  const row = ctx.get<{ summary: string; provider_event_id: string; search_text: string }>(
    'SELECT summary, provider_event_id, search_text FROM events WHERE id = ?',
    eventId,
  );
  if (row === undefined) return;
  const merged = mergeSummary(JSON.parse(row.summary) as EventSummary, patch);
  const summary = toJson(merged);
  if (summary === row.summary) return;
  const text = searchText(row.provider_event_id, merged);
  if (text === row.search_text) ctx.run('UPDATE events SET summary = ? WHERE id = ?', summary, eventId);
  else ctx.run('UPDATE events SET summary = ?, search_text = ? WHERE id = ?', summary, text, eventId);
}

export function insertLogs(ctx: SqliteContext, eventId: number, logs: readonly EventLogEntry[]): void {
  insertLogRows(
    ctx,
    logs.map((log) => ({ eventId, log })),
  );
}

/** Log lines of several events at once (a checkpoint batch's), in order: one statement. */
function insertLogRows(ctx: SqliteContext, rows: readonly { eventId: number; log: EventLogEntry }[]): void {
  if (rows.length > 0) INSERT_LOGS.run(ctx, rows);
}
