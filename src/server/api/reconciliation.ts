import { replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { reconciliation } from '../../core/wire/monitoring.js';
import type { ReconciliationState } from '../../store/store.js';

/**
 * `GET /api/reconciliation`: per reconciled source, when it was last reconciled, how many
 * events that found, and which of the provider's dates finished runs covered (docs/reconcile.md). Where the provider's API is stays out: it is for the CLI.
 */
/**
 * The host a run's claim names: its owner is `<host>|<pid namespace>|<pid>|<id>` (written by
 * src/engine/reconcile-claim.ts), `unknown` when the run could not tell; a claim written otherwise
 * (a test's) names none.
 */
function machineOf(owner: string): string | null {
  const parts = owner.split('|');
  const host = parts[0] ?? '';
  return parts.length === 4 && host !== '' && host !== 'unknown' ? host.slice(0, 100) : null;
}

/**
 * The run in progress on a source: one whose claim is still leased at `now` (a claim whose lease
 * ran out is a run that stopped, not one in progress). Since when, and on which machine if known.
 */
export function liveRun(state: ReconciliationState, now: Date): { runningSince: Date; runningOn: string | null } | null {
  const run = state.running;
  if (run === null || run.leaseUntil.getTime() <= now.getTime()) return null;
  return { runningSince: run.startedAt, runningOn: machineOf(run.owner) };
}

export function registerReconciliationRoutes(app: ApiApp, ctx: ApiContext): void {
  const schema = {
    summary: 'Per reconciled source: the last run, what it found and the dates runs covered',
    response: replies(reconciliation),
  };
  app.get('/api/reconciliation', { config: { rights: 'events:read' }, schema }, async (request) => {
    requireScope(request, 'events:read');
    const states = await ctx.store.listReconciliationStates();
    const now = ctx.now();
    return {
      items: states
        .filter((state) => state.lastStartedAt !== null)
        .map((state) => {
          const live = liveRun(state, now);
          return {
            source: state.source,
            lastStartedAt: state.lastStartedAt,
            lastFinishedAt: state.lastFinishedAt,
            lastListed: state.lastListed,
            lastRecovered: state.lastRecovered,
            totalRecovered: state.totalRecovered,
            // A resume point that no live run holds: a run stopped there (an error, a shutdown, or a
            // killed process that recorded none). A run in progress has one too, and holds its claim.
            interrupted: state.resume !== null && live === null,
            lastError: state.lastError,
            coveredBy: state.covered?.by ?? null,
            coveredFrom: state.covered?.by === 'dates' ? state.covered.from : null,
            coveredUntil: state.covered?.by === 'dates' ? state.covered.until : null,
            runningSince: live?.runningSince ?? null,
            runningOn: live?.runningOn ?? null,
          };
        }),
    };
  });
}
