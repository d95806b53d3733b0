import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BulkRequestError, checkBulkRequest, previewBulk, runBulk, MAX_BULK_EVENTS, type BulkRequest } from '../../engine/bulk-actions.js';
import { EventNotFoundError, OperationRefusedError, planStageRerun } from '../../engine/operations.js';
import type { EventStatus } from '../../core/types.js';
import { HttpError } from '../http-errors.js';
import { idParam, replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { knownSourcesFor } from './source-filter.js';
import { bulkSelection, planReply, previewReply, runReply } from '../../core/wire/bulk.js';

/**
 * Bulk retry and re-run (docs/api.md "Bulk actions"): POST /api/bulk/preview shows what a
 * filter selects and, per event, which stages will run, be skipped or are done; POST
 * /api/bulk/run does it, with a reason, for the events the person saw (`eventIds`, sent in
 * batches by the page to show progress). Both go through the engine's one selection and plan.
 * GET /api/events/:id/stages/:stage/rerun-preview is the same plan for one event's re-run.
 */

const previewBody = bulkSelection;

const runBody = bulkSelection
  .extend({
    reason: z.string().trim().min(1, 'say why (kept in the audit log and each event history)').max(500),
    eventIds: z.array(z.number().int().positive()).min(1).max(MAX_BULK_EVENTS).optional(),
  })
  .strict();

/** The optional `{ reason }` body of a one-event retry or re-run (the page always sends one). */
export const reasonBody = z.object({ reason: z.string().trim().max(500).optional() }).strict();

function bulkRequest(body: z.output<typeof previewBody>): BulkRequest {
  const f = body.filter;
  return {
    rerun: body.rerun ?? null,
    filter: {
      ...(f.status ? { status: f.status as EventStatus[] } : {}),
      ...(f.source ? { source: f.source } : {}),
      ...(f.pipeline ? { pipeline: f.pipeline } : {}),
      ...(f.stage ? { stage: f.stage } : {}),
      ...(f.code ? { code: f.code } : {}),
      ...(f.since ? { since: new Date(f.since) } : {}),
      ...(f.until ? { until: new Date(f.until) } : {}),
      ...(f.includeHandled ? { includeHandled: true } : {}),
    },
  };
}

/** A retry needs `events:retry`; a re-run, `stages:rerun`. */
function requireBulkScope(request: FastifyRequest, bulk: BulkRequest) {
  return requireScope(request, bulk.rerun ? 'stages:rerun' : 'events:retry');
}

/** The engine's INVALID_ARGUMENT (a filter that cannot be right) is the API's INVALID_REQUEST (docs/api.md). */
export function bulkRequestRefusal(err: BulkRequestError): HttpError {
  return new HttpError(400, err.code === 'INVALID_ARGUMENT' ? 'INVALID_REQUEST' : err.code, err.message, { cause: err });
}

async function asHttp<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BulkRequestError) throw bulkRequestRefusal(err);
    if (err instanceof EventNotFoundError) throw new HttpError(404, err.code, err.message, { cause: err });
    if (err instanceof OperationRefusedError)
      throw new HttpError(err.code === 'STAGE_UNKNOWN' ? 404 : 409, err.code, err.message, { cause: err });
    throw err;
  }
}

export function registerBulkRoutes(app: ApiApp, ctx: ApiContext): void {
  const previewSchema = { summary: 'What a bulk retry or re-run would do, per event', body: previewBody, response: replies(previewReply) };
  app.post('/api/bulk/preview', { config: { rights: ['events:retry', 'stages:rerun'] }, schema: previewSchema }, async (request) => {
    const bulk = bulkRequest(request.body);
    requireBulkScope(request, bulk);
    return {
      preview: await asHttp(async () => {
        // With the configured sources (and removed ones with stored events), which the engine's own check does not know.
        checkBulkRequest(ctx.pipelines, bulk, await knownSourcesFor(ctx, bulk.filter.source));
        return previewBulk(ctx.store, ctx.pipelines, bulk);
      }),
    };
  });

  const runSchema = { summary: 'Retry or re-run the events selected, with a reason', body: runBody, response: replies(runReply) };
  app.post('/api/bulk/run', { config: { rights: ['events:retry', 'stages:rerun'] }, schema: runSchema }, async (request) => {
    const { body } = request;
    const bulk = bulkRequest(body);
    const principal = requireBulkScope(request, bulk);
    const stamp = { actor: principal.email, remoteAddress: request.ip, at: ctx.now(), reason: body.reason };
    return {
      result: await asHttp(async () => {
        checkBulkRequest(ctx.pipelines, bulk, await knownSourcesFor(ctx, bulk.filter.source));
        return runBulk(ctx.store, ctx.pipelines, bulk, stamp, body.eventIds ?? null);
      }),
    };
  });

  const planSchema = {
    summary: "What re-running one event's stage would do",
    params: idParam.extend({ stage: z.string().min(1).max(200) }),
    response: replies(planReply),
  };
  app.get('/api/events/:id/stages/:stage/rerun-preview', { config: { rights: 'stages:rerun' }, schema: planSchema }, async (request) => {
    requireScope(request, 'stages:rerun');
    const { id: eventId, stage } = request.params;
    const { plan } = await asHttp(() => planStageRerun(ctx.store, ctx.pipelines, eventId, stage));
    return { plan };
  });
}
