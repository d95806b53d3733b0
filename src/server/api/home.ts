import { z } from 'zod';
import type { IgnoreReason } from '../../core/types.js';
import type { EventTotal, SourceCount } from '../../store/store.js';
import { HttpError } from '../http-errors.js';
import { idParam, replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { loadRow, loadRows } from './events.js';
import { handledReply } from '../../core/wire/events.js';
import { homeSummary } from '../../core/wire/home.js';
import { todayAndWeek, type Period } from './periods.js';
import { liveRun } from './reconciliation.js';
import { refusedTotal } from './monitoring.js';

/**
 * GET /api/home — what needs attention, for the first page a finance person sees — and
 * POST /api/events/:id/handled. What the money words mean (docs/api.md, "Home"):
 * - received: accepted payments (transaction status `accepted`) received in the period;
 * - invoiced: those whose pipeline ran every stage (event `succeeded`, no stage skipped by a flag);
 * - stagesOff: succeeded, but with a stage skipped because its feature flag was off (e.g. the
 *   invoice made but never sent to the DIAN): something may still be owed;
 * - stuck: those that stopped on an error (`dead`) nobody handled, or wait for another try (`retrying`);
 * - handled: dead, and marked as handled by hand since (markEventHandled);
 * - inProgress: queued or running now; ignored: no pipeline applied to them.
 * received = invoiced + stagesOff + stuck + handled + inProgress + ignored.
 * reversed: reversal or refund events (transaction status `reversed`) received in the period, shown
 * apart and never subtracted from received. Only amounts in `dashboard.currency` are summed;
 * accepted payments in another currency or without one are counted (and summed) per currency in
 * `otherCurrencies` (`otherCurrency`: their count).
 */

const PINNED_LIMIT = 20;

const handledBody = z
  .object({
    reason: z
      .string({ message: 'reason is required: say how it was handled, e.g. "refunded by hand on 5 Dec"' })
      .trim()
      .min(3, 'reason must say how it was handled (at least 3 characters), e.g. "invoiced by hand in WorldOffice"')
      .max(500, 'reason must be at most 500 characters'),
  })
  .strict();

interface Money {
  events: number;
  amount: number;
}

function total(rows: EventTotal[]): Money {
  return { events: rows.reduce((n, t) => n + t.events, 0), amount: rows.reduce((n, t) => n + t.amount, 0) };
}

/** Where each accepted payment in `currency` goes: every one in exactly one bucket but `received`. */
export function moneyOf(totals: EventTotal[], currency: string, reversals: EventTotal[] = []) {
  const mine = totals.filter((t) => t.currency === currency);
  const sum = (keep: (t: EventTotal) => boolean): Money => total(mine.filter(keep));
  const others = new Map<string | null, EventTotal[]>();
  for (const t of totals) if (t.currency !== currency) others.set(t.currency, [...(others.get(t.currency) ?? []), t]);
  const otherCurrencies = [...others.entries()]
    .map(([code, rows]) => ({ currency: code, ...total(rows) }))
    // Most payments first; payments without a currency last.
    .sort(
      (a, b) =>
        Number(a.currency === null) - Number(b.currency === null) ||
        b.events - a.events ||
        (a.currency ?? '').localeCompare(b.currency ?? ''),
    );
  return {
    received: sum(() => true),
    invoiced: sum((t) => t.status === 'succeeded' && !t.stagesOff),
    stagesOff: sum((t) => t.status === 'succeeded' && t.stagesOff),
    stuck: sum((t) => t.status === 'retrying' || (t.status === 'dead' && !t.handled)),
    handled: sum((t) => t.status === 'dead' && t.handled),
    inProgress: sum((t) => t.status === 'queued' || t.status === 'processing'),
    ignored: sum((t) => t.status === 'ignored'),
    reversed: total(reversals.filter((t) => t.currency === currency)),
    otherCurrency: otherCurrencies.reduce((n, c) => n + c.events, 0),
    otherCurrencies,
  };
}

function ignoredByReason(totals: EventTotal[]): Array<{ kind: IgnoreReason['kind'] | null; events: number }> {
  const counts = new Map<IgnoreReason['kind'] | null, number>();
  for (const total of totals) counts.set(total.ignoreKind, (counts.get(total.ignoreKind) ?? 0) + total.events);
  return [...counts.entries()].map(([kind, events]) => ({ kind, events })).sort((a, b) => b.events - a.events);
}

/** Per source, most first (ties by name): what the deliveries and refusals lines list. */
function bySource(counts: SourceCount[]): Array<{ source: string; events: number }> {
  return counts
    .filter((c) => c.count > 0)
    .sort((a, b) => b.count - a.count || a.source.localeCompare(b.source))
    .map((c) => ({ source: c.source, events: c.count }));
}

/**
 * The webhooks each source delivered in the period, each stored delivery once (a provider's
 * repeat of one is not counted again); events reconciliation created are not deliveries. A source
 * since removed from the config keeps its deliveries here, marked `configured: false`: they were
 * received and stored all the same. When the server was not told its sources, none is so marked.
 */
async function deliveriesBySource(ctx: ApiContext, window: Period) {
  const counts = await ctx.store.countEventsBySource({ origin: 'webhook', ...window });
  return bySource(counts).map((c) => ({ ...c, configured: ctx.sources === null || ctx.sources.includes(c.source) }));
}

async function periodSummary(ctx: ApiContext, period: Period, currency: string) {
  const window = { since: period.since, until: period.until };
  const [payments, reversals, ignored, recovered, deliveries, refused] = await Promise.all([
    ctx.store.eventTotals({ transactionStatus: 'accepted', ...window }, { stagesOff: true }),
    ctx.store.eventTotals({ transactionStatus: 'reversed', ...window }),
    ctx.store.eventTotals({ status: 'ignored', ...window }),
    ctx.store.countEvents({ origin: 'reconciliation', ...window }),
    deliveriesBySource(ctx, window),
    // Counted by the store over the whole log: a busy day's refusals are not cut to a page of them.
    ctx.store.countRejections(window),
  ]);
  return {
    ...period,
    money: moneyOf(payments, currency, reversals),
    ignored: ignoredByReason(ignored),
    rejected: refusedTotal(refused),
    rejectedBySource: bySource(refused),
    deliveries,
    recovered,
  };
}

export function registerHomeRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/api/home',
    {
      config: { rights: 'events:read' },
      schema: { summary: 'What needs attention, and the money of today and this week', response: replies(homeSummary) },
    },
    async (request) => {
      requireScope(request, 'events:read');
      const now = ctx.now();
      const timeZone = ctx.dashboard.timeZone ?? 'America/Bogota';
      const currency = ctx.dashboard.currency ?? 'COP';
      const periods = todayAndWeek(now, timeZone);
      const [queue, deadUnhandled, pinned, reconciliations] = await Promise.all([
        ctx.store.queueStats(),
        ctx.store.countEvents({ status: 'dead', handled: false }),
        ctx.store.listEvents({ status: 'dead', handled: false }, { limit: PINNED_LIMIT }),
        ctx.store.listReconciliationStates(),
      ]);
      return {
        now,
        timeZone,
        currency,
        attention: { ...queue.byStatus, deadUnhandled, nextRetryAt: queue.nextRetryAt },
        today: await periodSummary(ctx, periods.today, currency),
        week: await periodSummary(ctx, periods.week, currency),
        pinned: await loadRows(ctx, pinned.items),
        reconciledSources: reconciliations.map((state) => state.source),
        reconciling: reconciliations.flatMap((state) => {
          const run = liveRun(state, now);
          return run ? [{ source: state.source, ...run }] : [];
        }),
      };
    },
  );

  // Whoever may retry an event may set it aside instead: the same scope, audited the same way.
  const handledSchema = {
    summary: 'Set a dead event aside as handled by hand, saying how',
    params: idParam,
    body: handledBody,
    response: replies(handledReply),
  };
  app.post('/api/events/:id/handled', { config: { rights: 'events:retry' }, schema: handledSchema }, async (request) => {
    const principal = requireScope(request, 'events:retry');
    const {
      params: { id: eventId },
      body: { reason },
    } = request;
    const now = ctx.now();
    const result = await ctx.store.markEventHandled({ eventId, actor: principal.email, reason, now });
    if (result === 'not_found') throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${eventId}`);
    if (result === 'not_dead') {
      throw new HttpError(
        409,
        'EVENT_NOT_DEAD',
        `event ${eventId} is not dead: only a failed event can be marked as handled (retry it or wait for it instead)`,
      );
    }
    await ctx.store.appendAudit({
      actor: principal.email,
      action: 'event.handled',
      target: `event:${eventId}`,
      remoteAddress: request.ip,
      at: now,
      details: { reason },
    });
    const event = await ctx.store.getEvent(eventId);
    if (!event) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${eventId}`);
    return { event: await loadRow(ctx, event), handled: { at: now, by: principal.email, reason } };
  });
}
