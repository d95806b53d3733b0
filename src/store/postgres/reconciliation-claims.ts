import type { ReconciliationClaim, ReconciliationClaimResult } from '../store.js';
import type { Queryable } from './connection.js';

/** Which run holds a source (migrations 0018, 0019): one run at a time per source, across processes. */

interface HolderRow {
  run_owner: string;
  run_started_at: Date;
  run_lease_until: Date;
}

export async function claimReconciliationRun(db: Queryable, claim: ReconciliationClaim): Promise<ReconciliationClaimResult> {
  // Released between the refused claim and the look-up: claim again (the second refusal names its holder).
  for (let attempt = 0; attempt < 3; attempt++) {
    // One statement: taken only when free, expired or the one to replace; the row is created if new.
    // A claim is a run's start: the source's first one is kept (migration 0019, reconcile-overdue.ts).
    const taken = await db.query(
      `INSERT INTO reconciliation_state (source, run_owner, run_started_at, run_lease_until, first_started_at) VALUES ($1, $2, $3, $4, $3)
       ON CONFLICT (source) DO UPDATE SET run_owner = excluded.run_owner, run_started_at = excluded.run_started_at,
         run_lease_until = excluded.run_lease_until,
         first_started_at = COALESCE(reconciliation_state.first_started_at, excluded.first_started_at)
       WHERE reconciliation_state.run_owner IS NULL OR reconciliation_state.run_lease_until <= $3
         OR reconciliation_state.run_owner = $5`,
      [claim.source, claim.owner, claim.now, claim.leaseUntil, claim.replacing ?? null],
    );
    if (taken.rowCount === 1) return { claimed: true };
    const held = await db.query<HolderRow>(
      `SELECT run_owner, run_started_at, run_lease_until FROM reconciliation_state
       WHERE source = $1 AND run_owner IS NOT NULL`,
      [claim.source],
    );
    const row = held.rows[0];
    if (row) return { claimed: false, holder: { owner: row.run_owner, startedAt: row.run_started_at, leaseUntil: row.run_lease_until } };
  }
  throw new Error(`the reconciliation claim on ${claim.source} changed hands three times in a row`);
}

export async function renewReconciliationRun(db: Queryable, source: string, owner: string, leaseUntil: Date): Promise<boolean> {
  const result = await db.query('UPDATE reconciliation_state SET run_lease_until = $3 WHERE source = $1 AND run_owner = $2', [
    source,
    owner,
    leaseUntil,
  ]);
  return result.rowCount === 1;
}

export async function releaseReconciliationRun(db: Queryable, source: string, owner: string): Promise<void> {
  await db.query(
    `UPDATE reconciliation_state SET run_owner = NULL, run_started_at = NULL, run_lease_until = NULL
     WHERE source = $1 AND run_owner = $2`,
    [source, owner],
  );
}
