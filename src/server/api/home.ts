import { z } from 'zod';
import type { IgnoreReason } from '../../core/types.js';
import type { EventTotal } from '../../store/store.js';
import { HttpError } from '../http-errors.js';
import { idParam, replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { loadRow, loadRows } from './events.js';
import { handledReply } from '../../core/wire/events.js';
import { homeSummary } from '../../core/wire/home.js';
import { todayAndWeek, type Period } from './periods.js';

/**
 * GET /api/home — what needs attention, for the first page a finance person sees — and
 * POST /api/events/:id/handled. What the money words mean (docs/api.md, "Home"):
 * - received: accepted payments (transaction status `accepted`) received in the period;
 * - invoiced: those whose pipeline finished every stage (event `succeeded`);
 * - stuck: those that stopped on an error (`dead`) or wait for another try (`retrying`);
 * - inProgress: queued or running now; ignored: no pipeline applied to them.
 * received = invoiced + stuck + inProgress + ignored. Only amounts in `dashboard.currency` are
 * summed; payments in another currency or without one are counted in `otherCurrency`.
 */

const PINNED_LIMIT = 20;
/** The rejected-deliveries log is bounded; the home counts within its newest rows. */
const REJECTIONS_READ = 500;

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

const MONEY_BUCKETS = {
  invoiced: ['succeeded'],
  stuck: ['dead', 'retrying'],
  inProgress: ['queued', 'processing'],
  ignored: ['ignored'],
} as const;

export function moneyOf(totals: EventTotal[], currency: string) {
  const sum = (statuses: readonly string[]): Money => {
    const rows = totals.filter((t) => t.currency === currency && statuses.includes(t.status));
    return { events: rows.reduce((n, t) => n + t.events, 0), amount: rows.reduce((n, t) => n + t.amount, 0) };
  };
  const received = sum(['succeeded', 'dead', 'retrying', 'queued', 'processing', 'ignored']);
  return {
    received,
    invoiced: sum(MONEY_BUCKETS.invoiced),
    stuck: sum(MONEY_BUCKETS.stuck),
    inProgress: sum(MONEY_BUCKETS.inProgress),
    ignored: sum(MONEY_BUCKETS.ignored),
    otherCurrency: totals.filter((t) => t.currency !== currency).reduce((n, t) => n + t.events, 0),
  };
}

function ignoredByReason(totals: EventTotal[]): Array<{ kind: IgnoreReason['kind'] | null; events: number }> {
  const counts = new Map<IgnoreReason['kind'] | null, number>();
  for (const total of totals) counts.set(total.ignoreKind, (counts.get(total.ignoreKind) ?? 0) + total.events);
  return [...counts.entries()].map(([kind, events]) => ({ kind, events })).sort((a, b) => b.events - a.events);
}

async function periodSummary(ctx: ApiContext, period: Period, currency: string, rejectedAt: Date[]) {
  const [payments, ignored] = await Promise.all([
    ctx.store.eventTotals({ transactionStatus: 'accepted', since: period.since, until: period.until }),
    ctx.store.eventTotals({ status: 'ignored', since: period.since, until: period.until }),
  ]);
  return {
    ...period,
    money: moneyOf(payments, currency),
    ignored: ignoredByReason(ignored),
    rejected: rejectedAt.filter((at) => at >= period.since && at < period.until).length,
  };
}

export function registerHomeRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/api/home',
    { schema: { summary: 'What needs attention, and the money of today and this week', response: replies(homeSummary) } },
    async (request) => {
      requireScope(request, 'events:read');
      const now = ctx.now();
      const timeZone = ctx.dashboard.timeZone ?? 'America/Bogota';
      const currency = ctx.dashboard.currency ?? 'COP';
      const periods = todayAndWeek(now, timeZone);
      const [queue, deadUnhandled, pinned, rejections] = await Promise.all([
        ctx.store.queueStats(),
        ctx.store.countEvents({ status: 'dead', unhandled: true }),
        ctx.store.listEvents({ status: 'dead', unhandled: true }, { limit: PINNED_LIMIT }),
        ctx.store.listRejections(REJECTIONS_READ),
      ]);
      const rejectedAt = rejections.map((r) => r.at);
      return {
        now,
        timeZone,
        currency,
        attention: { ...queue.byStatus, deadUnhandled },
        today: await periodSummary(ctx, periods.today, currency, rejectedAt),
        week: await periodSummary(ctx, periods.week, currency, rejectedAt),
        pinned: await loadRows(ctx, pinned.items),
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
  app.post('/api/events/:id/handled', { schema: handledSchema }, async (request) => {
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
