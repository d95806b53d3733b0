import type { ReconciliationCoverage, ReconciliationEnd, ReconciliationResume, ReconciliationState } from '../store.js';
import type { SqliteContext } from './connection.js';
import { optionalDate, toMs } from './rows.js';

/** Reconciliation state, one row per source (migrations 0010, 0015, 0016, 0017). */

interface StateRow {
  source: string;
  last_started_at: number | null;
  first_started_at: number | null;
  last_finished_at: number | null;
  last_listed: number;
  last_recovered: number;
  total_recovered: number;
  resume_since: number | null;
  resume_cursor: string | null;
  last_error: string | null;
  api_base_url: string | null;
  covered_from: number | null;
  covered_until: number | null;
  covered_by: 'dates' | 'references' | null;
  run_owner: string | null;
  run_started_at: number | null;
  run_lease_until: number | null;
}

function toCoverage(row: StateRow): ReconciliationCoverage | null {
  if (row.covered_by === 'references') return { by: 'references' };
  if (row.covered_by === 'dates' && row.covered_from !== null && row.covered_until !== null) {
    return { by: 'dates', from: new Date(row.covered_from), until: new Date(row.covered_until) };
  }
  return null;
}

function toState(row: StateRow): ReconciliationState {
  return {
    source: row.source,
    lastStartedAt: optionalDate(row.last_started_at),
    firstStartedAt: optionalDate(row.first_started_at),
    lastFinishedAt: optionalDate(row.last_finished_at),
    lastListed: row.last_listed,
    lastRecovered: row.last_recovered,
    totalRecovered: row.total_recovered,
    resume: row.resume_since === null ? null : { since: new Date(row.resume_since), cursor: row.resume_cursor },
    lastError: row.last_error,
    apiBaseUrl: row.api_base_url,
    covered: toCoverage(row),
    running:
      row.run_owner !== null && row.run_started_at !== null && row.run_lease_until !== null
        ? { owner: row.run_owner, startedAt: new Date(row.run_started_at), leaseUntil: new Date(row.run_lease_until) }
        : null,
  };
}

export function getReconciliationState(ctx: SqliteContext, source: string): ReconciliationState | null {
  const row = ctx.get<StateRow>('SELECT * FROM reconciliation_state WHERE source = ?', source);
  return row === undefined ? null : toState(row);
}

export function listReconciliationStates(ctx: SqliteContext): ReconciliationState[] {
  return ctx.all<StateRow>('SELECT * FROM reconciliation_state ORDER BY source').map(toState);
}

/**
 * Every write of a run's record is fenced by its claim (reconcile-claim.ts): it applies only
 * while `owner` holds the source, checked in the same statement, so a run that stalled past its
 * lease cannot write over the run that took the source. Without an owner (a record written
 * outside any run), only while no run holds it. False: refused, nothing written.
 */
const HELD_BY = 'run_owner IS ?';

export function recordReconciliationStart(
  ctx: SqliteContext,
  source: string,
  now: Date,
  resume: ReconciliationResume,
  owner: string | null,
): boolean {
  if (owner !== null) {
    // The run's claim made the row.
    return (
      ctx.run(
        `UPDATE reconciliation_state SET last_started_at = ?, first_started_at = coalesce(first_started_at, ?),
           resume_since = ?, resume_cursor = ? WHERE source = ? AND run_owner = ?`,
        toMs(now),
        toMs(now),
        toMs(resume.since),
        resume.cursor,
        source,
        owner,
      ).changes === 1
    );
  }
  // A record outside any run may be the source's first.
  return (
    ctx.run(
      `INSERT INTO reconciliation_state (source, last_started_at, first_started_at, resume_since, resume_cursor) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET last_started_at = excluded.last_started_at,
         first_started_at = coalesce(reconciliation_state.first_started_at, excluded.first_started_at),
         resume_since = excluded.resume_since, resume_cursor = excluded.resume_cursor
       WHERE reconciliation_state.run_owner IS NULL`,
      source,
      toMs(now),
      toMs(now),
      toMs(resume.since),
      resume.cursor,
    ).changes === 1
  );
}

export function recordReconciliationProgress(
  ctx: SqliteContext,
  source: string,
  resume: ReconciliationResume,
  recovered: number,
  owner: string | null,
): boolean {
  return (
    ctx.run(
      `UPDATE reconciliation_state SET resume_since = ?, resume_cursor = ?, total_recovered = total_recovered + ?
       WHERE source = ? AND ${HELD_BY}`,
      toMs(resume.since),
      resume.cursor,
      recovered,
      source,
      owner,
    ).changes === 1
  );
}

export function recordReconciliationEnd(ctx: SqliteContext, end: ReconciliationEnd, owner: string | null): boolean {
  if (end.error !== null) {
    return (
      ctx.run(`UPDATE reconciliation_state SET last_error = ? WHERE source = ? AND ${HELD_BY}`, end.error, end.source, owner).changes === 1
    );
  }
  const by = end.covered?.by ?? null;
  const from = end.covered?.by === 'dates' ? toMs(end.covered.from) : null;
  const until = end.covered?.by === 'dates' ? toMs(end.covered.until) : null;
  // One statement: every SET reads the row as it was. A window overlapping or touching the
  // stored one widens it; one leaving a gap replaces it; 'references' holds no dates.
  const joins = "covered_by = 'dates' AND covered_from <= ? AND covered_until >= ?";
  const ended = ctx.run(
    `UPDATE reconciliation_state SET last_finished_at = ?, last_listed = ?, last_recovered = ?,
       resume_since = NULL, resume_cursor = NULL, last_error = NULL,
       covered_by = coalesce(?, covered_by),
       covered_from = CASE WHEN ? IS NULL THEN covered_from WHEN ? = 'references' THEN NULL
         WHEN ${joins} THEN min(covered_from, ?) ELSE ? END,
       covered_until = CASE WHEN ? IS NULL THEN covered_until WHEN ? = 'references' THEN NULL
         WHEN ${joins} THEN max(covered_until, ?) ELSE ? END
     WHERE source = ? AND ${HELD_BY}`,
    toMs(end.now),
    end.listed,
    end.recovered,
    by,
    by,
    by,
    until,
    from,
    from,
    from,
    by,
    by,
    until,
    from,
    until,
    until,
    end.source,
    owner,
  );
  return ended.changes === 1;
}

export function recordProviderApi(ctx: SqliteContext, source: string, apiBaseUrl: string): void {
  ctx.run(
    `INSERT INTO reconciliation_state (source, api_base_url) VALUES (?, ?)
     ON CONFLICT (source) DO UPDATE SET api_base_url = excluded.api_base_url`,
    source,
    apiBaseUrl,
  );
}
