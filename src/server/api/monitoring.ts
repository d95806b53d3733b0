import { z } from 'zod';
import type { AttemptSample, AuditFilter, SourceCount } from '../../store/store.js';
import { replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { timeRange, whoWhatWhen } from './history-filters.js';
import { percentile, stageDurations, throughput } from './metrics-series.js';
import { auditPage, metrics, rejections, type stageStat } from '../../core/wire/monitoring.js';
import { todayAndWeek, type Period } from './periods.js';

/** Metrics, the audit log and rejected deliveries (alerts: alerts.ts). */

const pageQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const metricsQuery = z.object({ since: z.iso.datetime({ offset: true }).optional() });
const rejectionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The `nextBefore` of the page before: those older than that one. */
  before: z.coerce.number().int().min(1).optional(),
});

/** The code a stored reason starts with (`SIGNATURE_INVALID: …`, the ingest plugin's form); else BAD_REQUEST. */
export function rejectionCode(reason: string): string {
  return /^([A-Z][A-Z0-9_]{1,63}):/.exec(reason)?.[1] ?? 'BAD_REQUEST';
}
const auditQuery = pageQuery.extend(whoWhatWhen).extend({ action: z.string().max(100).optional(), target: z.string().max(200).optional() });

export type StageStat = z.output<typeof stageStat>;

export function stageStats(samples: AttemptSample[]): StageStat[] {
  const byStage = new Map<string, { success: number; error: number; total: number; durations: number[] }>();
  for (const sample of samples) {
    let stat = byStage.get(sample.stage);
    if (!stat) byStage.set(sample.stage, (stat = { success: 0, error: 0, total: 0, durations: [] }));
    stat.total++;
    if (sample.status === 'success') stat.success++;
    if (sample.status === 'error') stat.error++;
    if (sample.durationMs !== null && sample.status !== 'skipped') stat.durations.push(sample.durationMs);
  }
  return [...byStage.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([stage, stat]) => {
      const sorted = stat.durations.sort((a, b) => a - b);
      const finished = stat.success + stat.error;
      return {
        stage,
        total: stat.total,
        success: stat.success,
        error: stat.error,
        successRate: finished === 0 ? null : stat.success / finished,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
      };
    });
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How many deliveries were refused in all, from the store's per-source counts of a period
 * (countRejections: over the whole log, so a busy day's refusals are not cut to a page of them).
 * The home's "refused" figure and the refused view's counts are this one sum.
 */
export function refusedTotal(counts: SourceCount[]): number {
  return counts.reduce((n, c) => n + c.count, 0);
}

/** The deliveries refused in the period, in all. */
async function refusedIn(ctx: ApiContext, period: Period): Promise<number> {
  return refusedTotal(await ctx.store.countRejections(period));
}

export function registerMonitoringRoutes(app: ApiApp, ctx: ApiContext): void {
  const metricsSchema = {
    summary: 'Per-stage success and durations, and throughput, since a time (default: the last day)',
    querystring: metricsQuery,
    response: replies(metrics),
  };
  app.get('/api/metrics', { config: { rights: 'events:read' }, schema: metricsSchema }, async (request) => {
    requireScope(request, 'events:read');
    const { query } = request;
    const now = ctx.now();
    const since = query.since ? new Date(query.since) : new Date(now.getTime() - DAY_MS);
    const samples = await ctx.store.attemptSamples(since, 50_000);
    return {
      since,
      stages: stageStats(samples),
      throughput: await throughput(ctx, since, now),
      stageDurations: stageDurations(samples, since, now),
    };
  });

  app.get(
    '/api/audit',
    {
      config: { rights: 'audit:read' },
      schema: { summary: 'The audit log, newest first, filtered', querystring: auditQuery, response: replies(auditPage) },
    },
    async (request) => {
      requireScope(request, 'audit:read');
      const { query } = request;
      const filter: AuditFilter = { ...timeRange(query) };
      if (query.action) filter.action = query.action;
      if (query.actor) filter.actor = query.actor;
      if (query.target) filter.target = query.target;
      return ctx.store.listAudit(filter, { cursor: query.cursor ?? null, limit: query.limit });
    },
  );

  app.get(
    '/api/rejections',
    {
      config: { rights: 'events:read' },
      schema: {
        summary: 'Deliveries refused (bad signature, unknown source...), newest first, a page at a time',
        querystring: rejectionsQuery,
        response: replies(rejections),
      },
    },
    async (request) => {
      requireScope(request, 'events:read');
      const { query } = request;
      // One more than asked: whether an older page exists, so the last page offers no empty next one.
      const periods = todayAndWeek(ctx.now(), ctx.dashboard.timeZone ?? 'America/Bogota');
      const [read, today, week] = await Promise.all([
        ctx.store.listRejections(query.limit + 1, query.before ?? null),
        refusedIn(ctx, periods.today),
        refusedIn(ctx, periods.week),
      ]);
      const items = read.slice(0, query.limit);
      const last = items.at(-1);
      return {
        items: items.map((item) => ({ ...item, code: rejectionCode(item.reason) })),
        nextBefore: read.length > query.limit && last ? last.id : null,
        refused: { today, week },
      };
    },
  );
}
