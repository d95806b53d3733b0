import type { ReconciliationClaim, ReconciliationClaimResult } from '../store.js';
import type { SqliteContext } from './connection.js';
import { toMs } from './rows.js';

/** Which run holds a source (migrations 0016, 0017): one run at a time per source, across processes. */

interface HolderRow {
  run_owner: string | null;
  run_started_at: number | null;
  run_lease_until: number | null;
}

export function claimReconciliationRun(ctx: SqliteContext, claim: ReconciliationClaim): ReconciliationClaimResult {
  // One statement: taken only when free, expired or the one to replace; the row is created if new.
  // A claim is a run's start: the source's first one is kept (migration 0017, reconcile-overdue.ts).
  const taken = ctx.run(
    `INSERT INTO reconciliation_state (source, run_owner, run_started_at, run_lease_until, first_started_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (source) DO UPDATE SET run_owner = excluded.run_owner, run_started_at = excluded.run_started_at,
       run_lease_until = excluded.run_lease_until, first_started_at = coalesce(first_started_at, excluded.first_started_at)
     WHERE run_owner IS NULL OR run_lease_until <= ? OR run_owner = ?`,
    claim.source,
    claim.owner,
    toMs(claim.now),
    toMs(claim.leaseUntil),
    toMs(claim.now),
    toMs(claim.now),
    claim.replacing ?? null,
  );
  if (taken.changes === 1) return { claimed: true };
  const row = ctx.get<HolderRow>(
    'SELECT run_owner, run_started_at, run_lease_until FROM reconciliation_state WHERE source = ?',
    claim.source,
  );
  // SQLite runs one writer at a time, so the holder seen here is the one that refused the claim.
  return {
    claimed: false,
    holder: {
      owner: row?.run_owner ?? '',
      startedAt: new Date(row?.run_started_at ?? 0),
      leaseUntil: new Date(row?.run_lease_until ?? 0),
    },
  };
}

export function renewReconciliationRun(ctx: SqliteContext, source: string, owner: string, leaseUntil: Date): boolean {
  return (
    ctx.run('UPDATE reconciliation_state SET run_lease_until = ? WHERE source = ? AND run_owner = ?', toMs(leaseUntil), source, owner)
      .changes === 1
  );
}

export function releaseReconciliationRun(ctx: SqliteContext, source: string, owner: string): void {
  ctx.run(
    `UPDATE reconciliation_state SET run_owner = NULL, run_started_at = NULL, run_lease_until = NULL
     WHERE source = ? AND run_owner = ?`,
    source,
    owner,
  );
}
