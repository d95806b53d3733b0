import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AlertKind, JsonObject } from '../../core/types.js';
import type { AttemptSample } from '../../store/store.js';
import { HttpError } from '../http-errors.js';
import { parseInput, requireScope, type ApiContext } from './context.js';
import { percentile, stageDurations, throughput } from './metrics-series.js';

/** Alerts (stored and computed), metrics, the audit log and rejected deliveries. */

export interface ComputedAlert {
  kind: AlertKind;
  at: Date;
  eventId: number | null;
  stage: string | null;
  message: string;
  details: JsonObject | null;
}

const pageQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const alertsQuery = pageQuery.extend({
  include: z.enum(['resolved'], { message: 'include must be "resolved" (or left out for open alerts only)' }).optional(),
});
const ackBody = z
  .object({
    reason: z
      .string({ message: 'reason is required: say why this alert needs no more attention, e.g. "NIT fixed in WorldOffice, retrying"' })
      .trim()
      .min(1, 'reason must not be empty: say why this alert needs no more attention')
      .max(500),
  })
  .strict();
const NOT_ACKNOWLEDGED = { acknowledgedAt: null, acknowledgedBy: null, ackReason: null } as const;
const auditQuery = pageQuery.extend({ action: z.string().max(100).optional(), actor: z.string().max(200).optional() });
const metricsQuery = z.object({ since: z.iso.datetime({ offset: true }).optional() });
const rejectionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

const COMPUTED_LIMIT = 50;
const ERROR_RATE_WINDOW_MS = 60 * 60 * 1000;
/** Fewer finished attempts than this in the window is too little to call a rate. */
const ERROR_RATE_MIN_SAMPLES = 5;

export async function computeAlerts(ctx: ApiContext): Promise<ComputedAlert[]> {
  const now = ctx.now();
  const alerts: ComputedAlert[] = [];
  // The engine stores a `dead` alert (stage, code, attempts) on every path to dead: that one is
  // the record. A computed one only covers dead events without it (older data, a lost write).
  const storedDead = await eventsWithOpenDeadAlert(ctx);
  const dead = await ctx.store.listEvents({ status: 'dead' }, { limit: COMPUTED_LIMIT });
  for (const event of dead.items) {
    if (storedDead.has(event.id)) continue;
    alerts.push({
      kind: 'dead',
      at: event.updatedAt,
      eventId: event.id,
      stage: null,
      message: `event ${event.id} is dead${event.lastError ? `: ${event.lastError.message}` : ''}`,
      details: { attempts: event.attempts, source: event.source, error: event.lastError?.message ?? null },
    });
  }
  // Still unfinished: once it succeeds (or dies, listed above) the alert has served its purpose.
  const retried = await ctx.store.listEvents(
    { minAttempts: 2, status: ['queued', 'processing', 'retrying'] },
    { limit: COMPUTED_LIMIT },
  );
  for (const event of retried.items) {
    if (event.attempts <= 2 && event.manualRetries <= 1) continue;
    alerts.push({
      kind: 'retried',
      at: event.updatedAt,
      eventId: event.id,
      stage: null,
      message: `event ${event.id} was retried ${Math.max(event.attempts - 1, event.manualRetries)} times`,
      details: { attempts: event.attempts, manualRetries: event.manualRetries, status: event.status },
    });
  }
  const processing = await ctx.store.listEvents({ status: 'processing' }, { limit: 500 });
  for (const event of processing.items) {
    if (!event.leaseExpiresAt || event.leaseExpiresAt >= now) continue;
    alerts.push({
      kind: 'stuck',
      at: event.leaseExpiresAt,
      eventId: event.id,
      stage: null,
      message: `event ${event.id} is stuck in processing: its lease expired at ${event.leaseExpiresAt.toISOString()}`,
      details: { leaseOwner: event.leaseOwner, leaseExpiresAt: event.leaseExpiresAt.toISOString() },
    });
  }
  const backlog = await backlogAlert(ctx, now);
  if (backlog) alerts.push(backlog);
  const samples = await ctx.store.attemptSamples(new Date(now.getTime() - ERROR_RATE_WINDOW_MS), 10_000);
  for (const stat of stageStats(samples)) {
    const finished = stat.success + stat.error;
    if (finished < ERROR_RATE_MIN_SAMPLES || stat.error / finished <= ctx.stageErrorRate) continue;
    alerts.push({
      kind: 'stage_error_rate',
      at: now,
      eventId: null,
      stage: stat.stage,
      message: `stage ${stat.stage} failed ${stat.error} of ${finished} attempts in the last hour`,
      details: { errorRate: stat.error / finished, threshold: ctx.stageErrorRate, errors: stat.error, finished },
    });
  }
  return alerts;
}

async function eventsWithOpenDeadAlert(ctx: ApiContext): Promise<Set<number>> {
  const open = await ctx.store.listAlerts({ unresolvedOnly: true, limit: 500 });
  return new Set(open.items.flatMap((alert) => (alert.kind === 'dead' && alert.eventId !== null ? [alert.eventId] : [])));
}

function alertIdParam(value: unknown): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new HttpError(400, 'INVALID_REQUEST', `alert id must be a positive integer, got "${String(value)}" (computed alerts cannot be acknowledged)`);
  }
  return id;
}

/** The workers are behind: the oldest runnable event has waited longer than the threshold. */
async function backlogAlert(ctx: ApiContext, now: Date): Promise<ComputedAlert | null> {
  const stats = await ctx.store.queueStats();
  if (!stats.oldestQueuedAt) return null;
  const waitedSeconds = Math.floor((now.getTime() - stats.oldestQueuedAt.getTime()) / 1000);
  if (waitedSeconds <= ctx.backlogAgeSeconds) return null;
  const queued = stats.byStatus.queued;
  return {
    kind: 'backlog',
    at: now,
    eventId: null,
    stage: null,
    message: `the oldest queued event has waited ${Math.round(waitedSeconds / 60)} min (${queued} queued): the workers are behind — add workers or concurrency, or look for a slow stage`,
    details: { queued, oldestQueuedAt: stats.oldestQueuedAt.toISOString(), waitedSeconds, thresholdSeconds: ctx.backlogAgeSeconds },
  };
}

export interface StageStat {
  stage: string;
  total: number;
  success: number;
  error: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

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

export function registerMonitoringRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/alerts', async (request) => {
    requireScope(request, 'events:read');
    const query = parseInput(alertsQuery, request.query, 'query');
    // Open alerts by default: a resolved one needs nobody. `?include=resolved` shows history too.
    const stored = await ctx.store.listAlerts({
      cursor: query.cursor ?? null, limit: query.limit, unresolvedOnly: query.include !== 'resolved',
    });
    // Computed alerts describe the present, so they come first on the first page only. They
    // have no stored row: a negative id (unique in this reply, not stable) and `computed: true`.
    const computed = query.cursor ? [] : await computeAlerts(ctx);
    const items = [
      ...computed.map((alert, index) => ({ id: -(index + 1), ...alert, resolvedAt: null, ...NOT_ACKNOWLEDGED, computed: true })),
      ...stored.items.map((alert) => ({ ...alert, computed: false })),
    ];
    return { items, nextCursor: stored.nextCursor };
  });

  // Acknowledging says "seen, being handled": the alert stays open (it resolves when its cause is
  // gone) but is shown muted, with who and why. Whoever may retry events may acknowledge.
  app.post('/api/alerts/:id/ack', async (request) => {
    const principal = requireScope(request, 'events:retry');
    const id = alertIdParam((request.params as { id: string }).id);
    const { reason } = parseInput(ackBody, request.body, 'body');
    const now = ctx.now();
    const result = await ctx.store.acknowledgeAlert({ id, actor: principal.email, reason, now });
    if (result.status === 'not_found') throw new HttpError(404, 'NOT_FOUND', `alert ${id} does not exist (computed alerts, with negative ids, cannot be acknowledged)`);
    if (result.status === 'resolved') throw new HttpError(409, 'ALERT_RESOLVED', `alert ${id} is already resolved: nothing to acknowledge`);
    if (result.status === 'already_acknowledged') {
      throw new HttpError(409, 'ALERT_ACKNOWLEDGED', `alert ${id} was already acknowledged by ${result.alert.acknowledgedBy ?? 'someone'}`);
    }
    await ctx.store.appendAudit({
      actor: principal.email, action: 'alert.ack', target: `alert:${id}`, remoteAddress: request.ip, at: now,
      details: { reason, kind: result.alert.kind, eventId: result.alert.eventId },
    });
    return { alert: { ...result.alert, computed: false } };
  });

  app.get('/api/metrics', async (request) => {
    requireScope(request, 'events:read');
    const query = parseInput(metricsQuery, request.query, 'query');
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

  app.get('/api/audit', async (request) => {
    requireScope(request, 'audit:read');
    const query = parseInput(auditQuery, request.query, 'query');
    const filter: { action?: string; actor?: string } = {};
    if (query.action) filter.action = query.action;
    if (query.actor) filter.actor = query.actor;
    return ctx.store.listAudit(filter, { cursor: query.cursor ?? null, limit: query.limit });
  });

  app.get('/api/rejections', async (request) => {
    requireScope(request, 'events:read');
    const query = parseInput(rejectionsQuery, request.query, 'query');
    return { items: await ctx.store.listRejections(query.limit) };
  });
}
