/**
 * The alerts reconciliation raises (docs/reconcile.md), through the existing mechanism: stored
 * as issues (so they show on Web Pig's alerts, can be acknowledged or muted, and are forwarded
 * to `alerts.webhookUrl`), `custom` with their name in `details.alert`, one issue per source.
 *
 * - `never_notified`: a run found payments whose webhooks never arrived (delivery is broken).
 * - `reconcile_failed`: a run stopped before the end of its window (the provider kept failing,
 *   timed out, refused the key): payments whose webhooks were lost since the window's start may
 *   still be missing, and nothing else would tell the operator. Resolved when a later run of the
 *   source completes.
 * - `reconcile_overdue`: no run of a scheduled source has finished for three of its `every`
 *   (a worker down or in a restart loop, runs killed outright, the command's cron gone): raised
 *   by the periodic check (reconcile-overdue.ts), resolved by the next run that finishes.
 */
import { errorMessage } from '../core/errors.js';
import type { EventRecord } from '../core/types.js';
import { ProviderApiError } from '../sources/listing/provider-list.js';
import type { JobStore } from '../store/store-roles.js';

/** The issue of a source's failed runs: each failed run counts an occurrence, a completed run resolves it. */
export function runFailedSubject(source: string): string {
  return `reconcile-failed:${source}`;
}

/**
 * Found payments mean delivery is broken (an endpoint down, a URL or secret changed): an alert
 * through the existing mechanism, as a pipeline raises its own (`custom`, named in details).
 */
export async function raiseNeverNotifiedAlert(
  store: JobStore,
  run: { source: string; provider: string; created: EventRecord[] },
  at: Date,
): Promise<void> {
  const count = run.created.length;
  await store.recordAlert({
    at,
    kind: 'custom',
    // One issue per source: each later run that finds more adds to its count (first/last seen).
    subject: `reconcile:${run.source}`,
    message: `${count} ${run.provider} ${count === 1 ? 'payment' : 'payments'} never notified: check the endpoint`,
    details: {
      alert: 'never_notified',
      source: run.source,
      provider: run.provider,
      count,
      eventIds: run.created.map((event) => event.id),
    },
  });
}

export interface FailedRun {
  source: string;
  provider: string;
  /**
   * Where the stopped window starts: payments since then may not have been compared. Null for a
   * provider looked up by references (ePayco), which lists no window of dates.
   */
  since: Date | null;
  /** What stopped it. */
  error: unknown;
}

/**
 * A run that stopped before its window's end. What to do depends on why: a refused key needs
 * fixing first (the error names the setting); anything else is resumed by the next run.
 */
/** The errors whose run's alert was stored: the command says so beside the error (runFailedAlertRaised). */
const alerted = new WeakSet<object>();

/** Whether the run that threw `err` stored its alert (a shutdown, a lost claim or a store down stores none). */
export function runFailedAlertRaised(err: unknown): boolean {
  return typeof err === 'object' && err !== null && alerted.has(err);
}

export async function raiseRunFailedAlert(store: JobStore, run: FailedRun, at: Date): Promise<void> {
  const error = errorMessage(run.error);
  const refused = run.error instanceof ProviderApiError && !run.error.retriable;
  const command = `webpig reconcile --source ${run.source}`;
  const todo = refused
    ? `fix the credential the error names, then run \`${command}\``
    : `the next scheduled run resumes it, or run \`${command}\` now; if it keeps failing, check the provider's status`;
  await store.recordAlert({
    at,
    kind: 'custom',
    subject: runFailedSubject(run.source),
    message:
      (run.since
        ? `reconciliation of ${run.source} (${run.provider}) stopped before the end of its window, since ${run.since.toISOString()}: ` +
          `a payment whose webhook was lost since then may still be missing`
        : `reconciliation of ${run.source} (${run.provider}) stopped before looking up every reference it was given: ` +
          `a payment among them whose webhook was lost may still be missing`) + ` (${error}). What to do: ${todo}`,
    details: {
      alert: 'reconcile_failed',
      source: run.source,
      provider: run.provider,
      since: run.since?.toISOString() ?? null,
      error,
      code: run.error instanceof ProviderApiError ? run.error.code : null,
      status: run.error instanceof ProviderApiError ? run.error.status : null,
      command,
    },
  });
  if (typeof run.error === 'object' && run.error !== null) alerted.add(run.error);
}

/** A run of the source completed: whatever an earlier one left unlisted has been listed now. */
export async function resolveRunFailedAlert(store: JobStore, source: string, at: Date): Promise<void> {
  await store.resolveAlertBySubject('custom', runFailedSubject(source), at);
}

/** The issue of a source whose reconciliation stopped happening (reconcile-overdue.ts). */
export function overdueSubject(source: string): string {
  return `reconcile-overdue:${source}`;
}

/** A run of the source finished: its reconciliation is happening again. */
export async function resolveOverdueAlert(store: JobStore, source: string, at: Date): Promise<void> {
  await store.resolveAlertBySubject('custom', overdueSubject(source), at);
}
