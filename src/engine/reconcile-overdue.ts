/**
 * "Reconciliation overdue": the alert for a reconciliation that silently stopped happening. A
 * failed run raises its own alert (reconcile-alerts.ts), but a worker in a restart loop (its
 * first round comes 5 s after start, and a round is skipped when the last one started less than
 * half an `every` ago), a run killed outright (SIGKILL, out of memory: no error handler runs) or
 * the command's cron removed leave no trace but time passing. So the periodic alert check
 * (alert-conditions.ts) looks at each source the worker's config schedules: when its last
 * FINISHED run is older than three of its `every`, payments whose webhook was lost since then are
 * not being looked for, and an issue says so. A run that finishes resolves it (reconcile.ts), and
 * so does the check once it no longer holds.
 */
import type { ReconcileSettings } from '../config/types.js';
import type { NewAlert } from '../store/store.js';
import type { JobStore } from '../store/store-roles.js';
import { overdueSubject } from './reconcile-alerts.js';
import { DEFAULT_EVERY, everyMsOf } from './reconcile-job.js';

/** Overdue once the last finished run is older than this many `every`: one late or failed round is no alarm. */
export const OVERDUE_EVERIES = 3;

/** What the check needs of the worker's config: the sources it reconciles on a schedule, and since when it looks. */
export interface ReconcileWatch {
  /** `reconcile` from the config: source name → settings (only `every` is read). */
  settings: Readonly<Record<string, ReconcileSettings>>;
  /**
   * When this process began checking (the worker's start). The reference for a source of which
   * no run has ever started (no state row): its schedule exists at least since then. (Default:
   * the check's `now` — such a source is then never found overdue.)
   */
  watchedSince?: Date;
}

/**
 * Since when the source's reconciliation has not finished: its last finished run. A source of
 * which none has ever finished counts from the earliest moment the schedule is known to exist:
 * its first run's start (`firstStartedAt`: stored once, never moved by later runs), or this
 * process' start when it began earlier or no run ever started. So a source whose every run dies
 * (a worker in a restart loop, a listing killed for running out of memory each time) is overdue
 * three `every` after its first start, however often the worker restarts. The last run's start
 * stands in for a state without a first one (`lastStartedAt` moves with every run, so it alone
 * would let a restart loop go unseen).
 */
export function overdueReference(
  state: { lastFinishedAt: Date | null; lastStartedAt: Date | null; firstStartedAt: Date | null } | null,
  watchedSince: Date,
): { since: Date; everFinished: boolean } {
  if (state?.lastFinishedAt) return { since: state.lastFinishedAt, everFinished: true };
  const started = state?.firstStartedAt ?? state?.lastStartedAt ?? null;
  return { since: started && started < watchedSince ? started : watchedSince, everFinished: false };
}

/** The issues of the scheduled sources overdue at `now`. */
export async function overdueAlerts(store: JobStore, watch: ReconcileWatch, now: Date): Promise<NewAlert[]> {
  const alerts: NewAlert[] = [];
  for (const [source, settings] of Object.entries(watch.settings)) {
    const everyMs = everyMsOf(settings);
    const reference = overdueReference(await store.getReconciliationState(source), watch.watchedSince ?? now);
    if (now.getTime() - reference.since.getTime() <= OVERDUE_EVERIES * everyMs) continue;
    alerts.push(overdueAlert(source, settings.every ?? DEFAULT_EVERY, everyMs, reference, now));
  }
  return alerts;
}

function overdueAlert(
  source: string,
  every: string,
  everyMs: number,
  reference: { since: Date; everFinished: boolean },
  now: Date,
): NewAlert {
  const since = reference.since.toISOString();
  const command = `webpig reconcile --source ${source}`;
  return {
    at: now,
    kind: 'custom',
    subject: overdueSubject(source),
    message:
      `reconciliation of ${source} is overdue: ` +
      (reference.everFinished
        ? `no run has finished since ${since}`
        : `no run has ever finished, and it has been scheduled since ${since}`) +
      ` (it runs every ${every}), so payments whose webhook was lost since then are not being looked for. ` +
      `What to do: check that the worker is running and read its logs; run \`${command}\` by hand meanwhile`,
    details: {
      alert: 'reconcile_overdue',
      source,
      since,
      everFinished: reference.everFinished,
      every,
      overdueAfterSeconds: Math.round((OVERDUE_EVERIES * everyMs) / 1000),
      command,
    },
  };
}

/**
 * The open overdue issues whose source is not overdue now: a run finished meanwhile, or the
 * config no longer schedules it (a source whose reconciliation was removed is not overdue). Open
 * `custom` issues are read oldest first, 500 at most, as the other conditions' are; a run that
 * finishes resolves its source's issue directly in any case.
 */
export async function resolveOverdueNoLonger(store: JobStore, overdueSources: ReadonlySet<string>, now: Date): Promise<number> {
  let resolved = 0;
  for (const open of await store.listOpenAlerts(['custom'])) {
    const source = open.details?.alert === 'reconcile_overdue' ? open.details.source : undefined;
    if (typeof source !== 'string' || overdueSources.has(source)) continue;
    if (await store.resolveAlert(open.id, now)) resolved += 1;
  }
  return resolved;
}
