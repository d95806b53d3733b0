/** The shapes the Store interface takes and returns for reconciliation (docs/reconcile.md): a source's state, where a stopped run resumes, the dates finished runs covered, and which run holds the source. */

/**
 * Reconciliation of one source with its provider's own records (docs/reconcile.md): when it
 * last ran, what it found, and where an interrupted run resumes.
 */
export interface ReconciliationState {
  source: string;
  /** The start of the last run (moves with every run). */
  lastStartedAt: Date | null;
  /**
   * The start of the source's first run, as its claim or its recorded start wrote it, never moved
   * afterwards (migration 0017/0019): what "reconciliation overdue" counts from while no run has
   * ever finished (src/engine/reconcile-overdue.ts). Null: no run has started. A database from
   * before it took the last recorded start then.
   */
  firstStartedAt: Date | null;
  /** The end of the last run that listed the whole window (null: none has yet). */
  lastFinishedAt: Date | null;
  /** Provider records the last finished run listed. */
  lastListed: number;
  /** Events the last finished run created (their webhooks had not arrived). */
  lastRecovered: number;
  /** Events reconciliation created for this source, ever. */
  totalRecovered: number;
  /** The page the run in progress (`running`) or the one that stopped reached: the next run lists the same window from there. */
  resume: ReconciliationResume | null;
  /** Why the last run stopped early (never a credential); null after a finished run. */
  lastError: string | null;
  /** Where the provider's API is, when a process recorded it (the demo: its sandbox). */
  apiBaseUrl: string | null;
  /**
   * The run that claimed the source and has not released it (migration 0016/0018); in progress
   * while `leaseUntil` is ahead, else it died. Null when no run holds it. `owner`: the claim's
   * holder as the run wrote it (`<host>|<pid namespace>|<pid>|<id>`, src/engine/reconcile-claim.ts).
   */
  running: { owner: string; startedAt: Date; leaseUntil: Date } | null;
  /**
   * What finished runs compared (migration 0015/0017): the one contiguous interval of provider
   * time their windows listed, or that the source is looked up by references (ePayco). Null: no
   * run has finished since webpig began recording it.
   */
  covered: ReconciliationCoverage | null;
}

/**
 * A window of the provider's time that was listed whole ([from, until], the run's `since` to its
 * start), or `references`: the provider cannot list by date, only the references given were
 * looked up (ePayco), so no date is known to be covered.
 */
export type ReconciliationCoverage = { by: 'dates'; from: Date; until: Date } | { by: 'references' };

export interface ReconciliationResume {
  since: Date;
  /** The provider's page cursor (Stripe: the last event id listed; MercadoPago: an offset). */
  cursor: string | null;
}

/**
 * A run asks to hold a source (migration 0016/0018): it gets it when no run holds it, when the
 * holder's lease ended by `now`, or when the holder is `replacing` (a process known to be gone).
 */
export interface ReconciliationClaim {
  source: string;
  /** Who claims: machine, process and run ids (reconcile-claim.ts). */
  owner: string;
  now: Date;
  leaseUntil: Date;
  /** The owner of a claim to take over (its process is gone). (Default: none) */
  replacing?: string;
}

/** The run that holds a source. */
export interface ReconciliationHolder {
  owner: string;
  startedAt: Date;
  leaseUntil: Date;
}

/** Claimed, or refused with the run that holds the source. */
export type ReconciliationClaimResult = { claimed: true } | { claimed: false; holder: ReconciliationHolder };

export interface ReconciliationEnd {
  source: string;
  now: Date;
  /** Provider records this run listed, and events it created (pages already counted by progress included). */
  listed: number;
  recovered: number;
  /** Set when the run stopped early: the resume point stays for the next run. */
  error: string | null;
  /**
   * What this run compared, when it finished (ignored with an error). A window that overlaps or
   * touches the stored interval widens it; one that leaves a gap replaces it. (Default: the
   * stored coverage stays as it is)
   */
  covered?: ReconciliationCoverage;
}
