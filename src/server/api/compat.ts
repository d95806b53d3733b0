import { z } from 'zod';
import { stageRetryPolicy, type PipelineDefinition } from '../../core/pipeline.js';
import type { CheckpointRecord, EventLogEntry, EventRecord } from '../../core/types.js';
import { replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { redactJson } from './redact.js';
import { changeBody, changeFlag, flagChangeRights } from './flags.js';

/**
 * Compatibility with clients of the seeds' Facturador API: `GET /api/webhooks/recent` in the
 * "proposed checkpoint structure" of webpig-architecture.md, and the flag endpoints as a
 * key → boolean map. Same authentication and the same server-side flag permission check.
 */

const recentQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });
/** The seeds' shapes, snake_case; described loosely (their clients read them, not the page). */
const recentReply = z.object({ success: z.literal(true), webhooks: z.array(z.record(z.string(), z.unknown())) });
const flagsReply = z.object({ success: z.literal(true), flags: z.record(z.string(), z.boolean()) });
const flagReply = z.object({ success: z.literal(true), flag: z.object({ key: z.string(), value: z.boolean() }) });
const flagKeyParams = z.object({ key: z.string().min(1).max(200) });

function overall(event: EventRecord, counts: { completed: number; failed: number }): string {
  if (event.status === 'ignored') return 'ignored';
  if (event.status === 'succeeded') return counts.failed > 0 ? 'partial_success' : 'success';
  if (event.status === 'dead') return counts.completed > 0 ? 'partial_success' : 'failed';
  return 'processing';
}

/** Retries a stage's policy allows after its first attempt; null when the stage is not configured (any more). */
function maxRetries(pipelines: readonly PipelineDefinition[], pipelineName: string | null, stageName: string): number | null {
  const pipeline = pipelines.find((p) => p.name === pipelineName);
  const stage = pipeline?.stages.find((s) => s.name === stageName);
  return pipeline && stage ? (stageRetryPolicy(pipeline, stage).delaysMs ?? []).length : null;
}

function compatCheckpoint(checkpoint: CheckpointRecord, maxRetriesOfStage: number | null): Record<string, unknown> {
  const view: Record<string, unknown> = {
    status: checkpoint.status,
    started_at: checkpoint.startedAt,
    completed_at: checkpoint.completedAt,
    duration_ms: checkpoint.durationMs,
    attempts: checkpoint.history.map((attempt) => ({
      attempt: attempt.attempt,
      timestamp: attempt.startedAt,
      status: attempt.status,
      error: attempt.error?.message ?? null,
      duration_ms: attempt.durationMs,
    })),
    retry_count: Math.max(0, checkpoint.attempts - 1),
    max_retries: maxRetriesOfStage,
    data: checkpoint.data,
    error: checkpoint.error
      ? { message: checkpoint.error.message, code: checkpoint.error.code ?? null, recoverable: checkpoint.error.retriable }
      : null,
  };
  const skip = checkpoint.skipReason;
  if (checkpoint.status === 'skipped' && skip) {
    view.skipped_at = checkpoint.completedAt;
    view.reason =
      skip.kind === 'flag'
        ? { type: 'feature_flag', flag_name: skip.flag, flag_value: skip.value }
        : skip.kind === 'dependency'
          ? { type: 'dependency', stage: skip.stage, status: skip.status }
          : { type: 'condition', detail: skip.detail };
  }
  return view;
}

export function toCompatWebhook(
  event: EventRecord,
  checkpoints: CheckpointRecord[],
  logs: EventLogEntry[],
  pipelines: readonly PipelineDefinition[],
) {
  const completed = checkpoints.filter((c) => c.status === 'success').length;
  const failed = checkpoints.filter((c) => c.status === 'error').length;
  const skipped = checkpoints.filter((c) => c.status === 'skipped').length;
  const started = checkpoints.map((c) => c.startedAt).filter((d): d is Date => d !== null);
  const ended = checkpoints.map((c) => c.completedAt).filter((d): d is Date => d !== null);
  const startedAt = started.length ? new Date(Math.min(...started.map((d) => d.getTime()))) : null;
  const completedAt = ended.length ? new Date(Math.max(...ended.map((d) => d.getTime()))) : null;
  const customer = event.summary.customer ?? {};
  const product = event.summary.product ?? {};
  return {
    id: event.id,
    invoice_id: event.summary.references?.invoice ?? event.summary.references?.invoiceId ?? null,
    transaction_status: event.transactionStatus,
    created_at: event.receivedAt,
    updated_at: event.updatedAt,
    customer: {
      name: customer.name ?? null,
      cedula: customer.documentId ?? null,
      email: customer.email ?? null,
      phone: customer.phone ?? null,
    },
    product: {
      name: product.name ?? null,
      id: product.id ?? null,
      category: product.category ?? null,
      // Falls back to the amount paid only when no stage knew the product's price: this field
      // always held the amount before products had a price, and its readers expect a figure.
      price: product.price ?? event.summary.amount ?? null,
      currency: event.summary.currency ?? null,
    },
    pipeline_status: {
      overall: overall(event, { completed, failed }),
      completed_stages: completed,
      failed_stages: failed,
      skipped_stages: skipped,
      total_stages: checkpoints.length,
      started_at: startedAt,
      completed_at: event.status === 'succeeded' || event.status === 'dead' ? completedAt : null,
      duration_ms: startedAt && completedAt ? completedAt.getTime() - startedAt.getTime() : null,
    },
    checkpoints: Object.fromEntries(checkpoints.map((c) => [c.stage, compatCheckpoint(c, maxRetries(pipelines, event.pipeline, c.stage))])),
    logs: logs.map((log) => ({ timestamp: log.at, level: log.level, stage: log.stage, message: log.message })),
    // The seeds' "raw_webhook": the provider's fields, with signatures, keys and card data redacted.
    raw_webhook: redactJson(event.payload),
  };
}

export function registerCompatRoutes(app: ApiApp, ctx: ApiContext): void {
  const recentSchema = {
    summary: "Recent webhooks in the seeds' checkpoint structure (compatibility)",
    querystring: recentQuery,
    response: replies(recentReply),
  };
  app.get('/api/webhooks/recent', { config: { rights: 'events:read' }, schema: recentSchema }, async (request) => {
    requireScope(request, 'events:read');
    const { limit } = request.query;
    const page = await ctx.store.listEvents({}, { limit });
    const checkpoints = await ctx.store.getCheckpointsForEvents(page.items.map((e) => e.id));
    const webhooks = [];
    for (const event of page.items) {
      const logs = await ctx.store.getEventLogs(event.id);
      webhooks.push(toCompatWebhook(event, checkpoints.get(event.id) ?? [], logs, ctx.pipelines));
    }
    return { success: true as const, webhooks };
  });

  app.get(
    '/api/feature-flags',
    { config: { rights: 'events:read' }, schema: { summary: 'Flags as a key → value map (compatibility)', response: replies(flagsReply) } },
    async (request) => {
      requireScope(request, 'events:read');
      const flags = await ctx.store.listFlags();
      return { success: true as const, flags: Object.fromEntries(flags.map((f) => [f.key, f.value])) };
    },
  );

  const changeSchema = {
    summary: 'Change a flag (compatibility; the same permission check)',
    params: flagKeyParams,
    body: changeBody,
    response: replies(flagReply),
  };
  app.put('/api/feature-flags/:key', { config: { rights: flagChangeRights(ctx) }, schema: changeSchema }, async (request) => {
    const flag = await changeFlag(ctx, request, request.params.key, request.body);
    return { success: true as const, flag: { key: flag.key, value: flag.value } };
  });
}
