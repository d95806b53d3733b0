import { LeaseLostError } from '../../core/errors.js';
import { mergeSummary } from '../../core/summary.js';
import type { EventRecord, EventSummary } from '../../core/types.js';
import { searchText } from '../search-text.js';
import { storableJson } from '../storable.js';
import type { CheckpointWrite, CheckpointWriteResult, StageOutcomeWrite } from '../store.js';
import type { Queryable } from './connection.js';
import { type EventRow, eventColumns, toEvent } from './rows.js';

/**
 * Prepared once per connection (named), as the claim is (claim-call.ts): the event's fields
 * listed, not `(r.event).*`, so a column added to events under a running worker keeps the
 * result's shape.
 */
const WRITE_CHECKPOINTS = {
  name: 'webpig_write_checkpoints',
  text: `SELECT r.fenced_id, ${eventColumns('r.event')} FROM webpig_write_checkpoints($1::jsonb, $2::text) AS r`,
};

/**
 * A checkpoint batch in ONE statement: `webpig_write_checkpoints` (migrations 0012, 0014; its plans 0015), called in
 * autocommit, so one round trip and one transaction whatever the batch's size. Eight and more
 * round trips per batch (BEGIN, the lock, each set-based write, COMMIT) had made them, not the
 * commit, the bound of every stage on PostgreSQL.
 *
 * The function locks the batch's events in id order, leaves out each fenced write (reported
 * here as LeaseLostError, alone), and applies the rest as the single calls do. Anything the
 * database refuses fails the call, writing nothing: checkpoint-batch.ts then applies the
 * writes one by one behind savepoints, so the refused one fails alone.
 *
 * Summary patches are merged here (mergeSummary, searchText: JavaScript, so the searched text
 * does not depend on the database's locale) from the summaries read just before the call; the
 * function refuses the call if a summary changed in between (it then goes one by one, under
 * the row lock). Only a batch holding a patch pays that read.
 */
export async function writeCheckpointsInOneCall(
  db: Queryable,
  channel: string,
  writes: CheckpointWrite[],
): Promise<{ results: CheckpointWriteResult[]; woke: boolean }> {
  const summaries = await mergedSummaries(db, writes);
  const result = await db.query<EventRow & { fenced_id: number | null }>({
    ...WRITE_CHECKPOINTS,
    values: [storableJson(batchDocument(writes, summaries)), channel],
  });
  const fenced = new Set<number>();
  const finished = new Map<number, EventRecord>();
  for (const row of result.rows) {
    if (row.fenced_id !== null) fenced.add(row.fenced_id);
    else finished.set(row.id, toEvent(row));
  }
  const results = writes.map((write): CheckpointWriteResult => {
    if (fenced.has(write.eventId)) return { ok: false, error: new LeaseLostError(write.eventId, write.leaseOwner) };
    return { ok: true, event: write.finish ? (finished.get(write.eventId) ?? null) : null };
  });
  const woke = [...finished.values()].some((e) => e.status === 'retrying' || e.status === 'queued');
  return { results, woke };
}

interface MergedSummary {
  event_id: number;
  base: EventSummary | null;
  summary: EventSummary;
  search_text: string;
}

/** Each patched event's summary merged with its patches, from the row as it is now. */
async function mergedSummaries(db: Queryable, writes: CheckpointWrite[]): Promise<MergedSummary[]> {
  const patched = writes.flatMap((write) => {
    const patches = write.outcomes.flatMap((o) => (o.summaryPatch && Object.keys(o.summaryPatch).length > 0 ? [o.summaryPatch] : []));
    return patches.length > 0 ? [{ eventId: write.eventId, patches }] : [];
  });
  if (patched.length === 0) return [];
  const rows = await db.query<{ id: number; summary: EventSummary | null; provider_event_id: string }>(
    'SELECT id, summary, provider_event_id FROM events WHERE id = ANY($1::bigint[])',
    [patched.map((p) => p.eventId)],
  );
  const byId = new Map(rows.rows.map((row) => [row.id, row]));
  return patched.flatMap(({ eventId, patches }) => {
    const row = byId.get(eventId);
    // A missing event is fenced by the function; nothing to merge.
    if (!row) return [];
    const summary = patches.reduce<EventSummary>((merged, patch) => mergeSummary(merged, patch), row.summary ?? {});
    return [{ event_id: eventId, base: row.summary, summary, search_text: searchText(row.provider_event_id, summary) }];
  });
}

/** The latest time any part of the write names: the lease must be live then (so for all of them). */
function latestTime(write: CheckpointWrite): Date {
  const times = [...write.outcomes.map((o) => o.completedAt), write.start?.startedAt, write.finish?.now].filter(
    (t): t is Date => t !== undefined,
  );
  return new Date(Math.max(0, ...times.map((t) => t.getTime())));
}

const durationOf = (o: StageOutcomeWrite): number | null => (o.startedAt ? o.completedAt.getTime() - o.startedAt.getTime() : null);

/** The function's `batch` argument; its shape is documented in 0012_checkpoint_write_function.sql. */
function batchDocument(writes: CheckpointWrite[], summaries: MergedSummary[]): object {
  const outcomes = writes.flatMap((w) => w.outcomes);
  return {
    writes: writes.map((w) => ({ event_id: w.eventId, lease_owner: w.leaseOwner, at: latestTime(w) })),
    outcomes: outcomes.map((o, n) => ({
      n,
      event_id: o.eventId,
      stage: o.stage,
      status: o.outcome.status,
      attempt: o.attempt,
      started_at: o.startedAt,
      completed_at: o.completedAt,
      duration_ms: durationOf(o),
      data: o.outcome.status === 'success' ? o.outcome.data : null,
      error: o.outcome.status === 'error' ? o.outcome.error : null,
      skip_reason: o.outcome.status === 'skipped' ? o.outcome.skipReason : null,
      note: o.note ?? null,
    })),
    summaries,
    logs: outcomes
      .flatMap((o) => (o.logs ?? []).map((log) => ({ event_id: o.eventId, ...log })))
      .map((l, n) => ({
        n,
        event_id: l.event_id,
        at: l.at,
        level: l.level,
        stage: l.stage,
        message: l.message,
        fields: l.fields,
        attempt: l.attempt ?? null,
      })),
    exchanges: outcomes
      .flatMap((o) => (o.exchanges ?? []).map((x) => ({ event_id: o.eventId, stage: o.stage, attempt: o.attempt, x })))
      .map(({ x, ...at }, n) => ({
        n,
        ...at,
        at: x.at,
        request: x.request,
        response: x.response,
        error: x.error,
        duration_ms: x.durationMs,
      })),
    starts: writes
      .flatMap((w) => (w.start ? [w.start] : []))
      .map((s, n) => ({ n, event_id: s.eventId, stage: s.stage, attempt: s.attempt, started_at: s.startedAt, note: s.note ?? null })),
    finishes: writes
      .flatMap((w) => (w.finish ? [w.finish] : []))
      .map((f) => ({
        event_id: f.eventId,
        status: f.status,
        next_attempt_at: f.status === 'retrying' ? (f.nextAttemptAt ?? f.now) : f.status === 'queued' ? f.now : null,
        // Fields left undefined keep what the event had; null clears them.
        keep_last_error: f.lastError === undefined,
        last_error: f.lastError ?? null,
        keep_ignore_reason: f.ignoreReason === undefined,
        ignore_reason: f.ignoreReason ?? null,
        keep_pipeline: f.pipeline === undefined,
        pipeline: f.pipeline ?? null,
        now: f.now,
        resolve_alerts: f.resolveAlerts ?? [],
      })),
  };
}
