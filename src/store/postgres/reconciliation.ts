import type { ReconciliationCoverage, ReconciliationEnd, ReconciliationResume, ReconciliationState } from '../store.js';
import type { Queryable } from './connection.js';

/** Reconciliation state, one row per source (migrations 0010, 0017, 0018, 0019). */

interface StateRow {
  source: string;
  last_started_at: Date | null;
  first_started_at: Date | null;
  last_finished_at: Date | null;
  last_listed: number;
  last_recovered: number;
  total_recovered: number;
  resume_since: Date | null;
  resume_cursor: string | null;
  last_error: string | null;
  api_base_url: string | null;
  covered_from: Date | null;
  covered_until: Date | null;
  covered_by: 'dates' | 'references' | null;
  run_owner: string | null;
  run_started_at: Date | null;
  run_lease_until: Date | null;
}

function toCoverage(row: StateRow): ReconciliationCoverage | null {
  if (row.covered_by === 'references') return { by: 'references' };
  if (row.covered_by === 'dates' && row.covered_from !== null && row.covered_until !== null) {
    return { by: 'dates', from: row.covered_from, until: row.covered_until };
  }
  return null;
}

function toState(row: StateRow): ReconciliationState {
  return {
    source: row.source,
    lastStartedAt: row.last_started_at,
    firstStartedAt: row.first_started_at,
    lastFinishedAt: row.last_finished_at,
    lastListed: row.last_listed,
    lastRecovered: row.last_recovered,
    totalRecovered: row.total_recovered,
    resume: row.resume_since === null ? null : { since: row.resume_since, cursor: row.resume_cursor },
    lastError: row.last_error,
    apiBaseUrl: row.api_base_url,
    covered: toCoverage(row),
    running:
      row.run_owner !== null && row.run_started_at !== null && row.run_lease_until !== null
        ? { owner: row.run_owner, startedAt: row.run_started_at, leaseUntil: row.run_lease_until }
        : null,
  };
}

export async function getReconciliationState(db: Queryable, source: string): Promise<ReconciliationState | null> {
  const result = await db.query<StateRow>('SELECT * FROM reconciliation_state WHERE source = $1', [source]);
  const row = result.rows[0];
  return row === undefined ? null : toState(row);
}

export async function listReconciliationStates(db: Queryable): Promise<ReconciliationState[]> {
  const result = await db.query<StateRow>('SELECT * FROM reconciliation_state ORDER BY source');
  return result.rows.map(toState);
}

/**
 * Every write of a run's record is fenced by its claim (reconcile-claim.ts): it applies only
 * while `owner` holds the source, checked in the same statement, so a run that stalled past its
 * lease cannot write over the run that took the source. Without an owner (a record written
 * outside any run), only while no run holds it. False: refused, nothing written.
 */
export async function recordReconciliationStart(
  db: Queryable,
  source: string,
  now: Date,
  resume: ReconciliationResume,
  owner: string | null,
): Promise<boolean> {
  const result =
    owner !== null
      ? // The run's claim made the row.
        await db.query(
          `UPDATE reconciliation_state SET last_started_at = $2, first_started_at = COALESCE(first_started_at, $2),
             resume_since = $3, resume_cursor = $4
           WHERE source = $1 AND run_owner = $5`,
          [source, now, resume.since, resume.cursor, owner],
        )
      : // A record outside any run may be the source's first.
        await db.query(
          `INSERT INTO reconciliation_state (source, last_started_at, first_started_at, resume_since, resume_cursor)
           VALUES ($1, $2, $2, $3, $4)
           ON CONFLICT (source) DO UPDATE SET last_started_at = excluded.last_started_at,
             first_started_at = COALESCE(reconciliation_state.first_started_at, excluded.first_started_at),
             resume_since = excluded.resume_since, resume_cursor = excluded.resume_cursor
           WHERE reconciliation_state.run_owner IS NULL`,
          [source, now, resume.since, resume.cursor],
        );
  return result.rowCount === 1;
}

export async function recordReconciliationProgress(
  db: Queryable,
  source: string,
  resume: ReconciliationResume,
  recovered: number,
  owner: string | null,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE reconciliation_state SET resume_since = $2, resume_cursor = $3, total_recovered = total_recovered + $4
     WHERE source = $1 AND run_owner IS NOT DISTINCT FROM $5`,
    [source, resume.since, resume.cursor, recovered, owner],
  );
  return result.rowCount === 1;
}

export async function recordReconciliationEnd(db: Queryable, end: ReconciliationEnd, owner: string | null): Promise<boolean> {
  if (end.error !== null) {
    const failed = await db.query(
      'UPDATE reconciliation_state SET last_error = $2 WHERE source = $1 AND run_owner IS NOT DISTINCT FROM $3',
      [end.source, end.error, owner],
    );
    return failed.rowCount === 1;
  }
  const covered = end.covered;
  // One statement: every SET reads the row as it was. A window overlapping or touching the
  // stored one widens it; one leaving a gap replaces it; 'references' holds no dates.
  const ended = await db.query(
    `UPDATE reconciliation_state SET last_finished_at = $2, last_listed = $3, last_recovered = $4,
       resume_since = NULL, resume_cursor = NULL, last_error = NULL,
       covered_by = COALESCE($5, covered_by),
       covered_from = CASE
         WHEN $5 IS NULL THEN covered_from
         WHEN $5 = 'references' THEN NULL
         WHEN covered_by = 'dates' AND covered_from <= $7 AND covered_until >= $6 THEN LEAST(covered_from, $6)
         ELSE $6 END,
       covered_until = CASE
         WHEN $5 IS NULL THEN covered_until
         WHEN $5 = 'references' THEN NULL
         WHEN covered_by = 'dates' AND covered_from <= $7 AND covered_until >= $6 THEN GREATEST(covered_until, $7)
         ELSE $7 END
     WHERE source = $1 AND run_owner IS NOT DISTINCT FROM $8`,
    [
      end.source,
      end.now,
      end.listed,
      end.recovered,
      covered?.by ?? null,
      covered?.by === 'dates' ? covered.from : null,
      covered?.by === 'dates' ? covered.until : null,
      owner,
    ],
  );
  return ended.rowCount === 1;
}

export async function recordProviderApi(db: Queryable, source: string, apiBaseUrl: string): Promise<void> {
  await db.query(
    `INSERT INTO reconciliation_state (source, api_base_url) VALUES ($1, $2)
     ON CONFLICT (source) DO UPDATE SET api_base_url = excluded.api_base_url`,
    [source, apiBaseUrl],
  );
}
