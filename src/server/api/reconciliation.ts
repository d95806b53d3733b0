import { replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { reconciliation } from '../../core/wire/monitoring.js';

/**
 * `GET /api/reconciliation`: per reconciled source, when it was last reconciled, how many
 * events that found, and which of the provider's dates finished runs covered (docs/reconcile.md). Where the provider's API is stays out: it is for the CLI.
 */
export function registerReconciliationRoutes(app: ApiApp, ctx: ApiContext): void {
  const schema = {
    summary: 'Per reconciled source: the last run, what it found and the dates runs covered',
    response: replies(reconciliation),
  };
  app.get('/api/reconciliation', { config: { rights: 'events:read' }, schema }, async (request) => {
    requireScope(request, 'events:read');
    const states = await ctx.store.listReconciliationStates();
    const now = ctx.now().getTime();
    return {
      items: states
        .filter((state) => state.lastStartedAt !== null)
        .map((state) => ({
          source: state.source,
          lastStartedAt: state.lastStartedAt,
          lastFinishedAt: state.lastFinishedAt,
          lastListed: state.lastListed,
          lastRecovered: state.lastRecovered,
          totalRecovered: state.totalRecovered,
          // A resume point that no live run holds: a run stopped there (an error, a shutdown, or a
          // killed process that recorded none). A run in progress has one too, and holds its claim.
          interrupted: state.resume !== null && !(state.running && state.running.leaseUntil.getTime() > now),
          lastError: state.lastError,
          coveredBy: state.covered?.by ?? null,
          coveredFrom: state.covered?.by === 'dates' ? state.covered.from : null,
          coveredUntil: state.covered?.by === 'dates' ? state.covered.until : null,
        })),
    };
  });
}
