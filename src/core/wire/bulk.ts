import { z } from 'zod';
import { checkpointStatus, eventStatus, skipReason } from './common.js';

/** The events a bulk action selects (POST /api/bulk/preview and /run): dates are ISO-8601 with their offset. */
export const bulkFilter = z
  .object({
    status: z
      .union([
        z.array(z.string().max(20)).max(10),
        z
          .string()
          .max(100)
          .transform((s) => s.split(',').filter(Boolean)),
      ])
      .optional(),
    source: z.string().min(1).max(100).optional(),
    pipeline: z.string().min(1).max(100).optional(),
    stage: z.string().min(1).max(200).optional(),
    code: z.string().min(1).max(100).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    /** Also dead events someone marked as handled by hand (left out unless asked). */
    includeHandled: z.boolean().optional(),
  })
  .strict();

/** A bulk action: which events, and a retry (`rerun` null) or the re-run of one stage. */
export const bulkSelection = z.object({ filter: bulkFilter.default({}), rerun: z.string().min(1).max(200).nullish() }).strict();

/** What a retry or re-run will do, for one event or a filter's worth (docs/api.md, "Bulk actions"). */

export const plannedStage = z.object({
  stage: z.string(),
  action: z.enum(['run', 'skip', 'done']),
  /** The checkpoint's status now ('pending' when the stage has none). */
  current: checkpointStatus,
  cause: z.enum(['requested', 'follows', 'not_done']).optional(),
  skipReason: skipReason.optional(),
  /** The stage has a when() condition, which may still skip it at run time. */
  conditional: z.boolean().optional(),
});

export const runPlan = z.object({
  stages: z.array(plannedStage),
  /** Checkpoints sent back to `pending` before the event is queued. */
  reset: z.array(z.string()),
  runCount: z.number().int(),
});

export const bulkEventPlan = z.object({
  eventId: z.number().int(),
  status: eventStatus,
  source: z.string(),
  pipeline: z.string().nullable(),
  receivedAt: z.date(),
  customer: z.string().nullable(),
  amount: z.number().nullable(),
  currency: z.string().nullable(),
  failedStage: z.string().nullable(),
  errorCode: z.string().nullable(),
  /** Its last error is permanent: a retry will likely fail the same way (the one-event retry warns of it too). */
  permanentError: z.boolean(),
  plan: runPlan,
});

export const bulkPreview = z.object({
  mode: z.enum(['retry', 'rerun']),
  rerun: z.string().nullable(),
  count: z.number().int(),
  stagesToRun: z.number().int(),
  events: z.array(bulkEventPlan),
  excluded: z.array(
    z.object({ reason: z.enum(['already_succeeded', 'in_queue', 'stage_not_in_pipeline', 'handled']), count: z.number().int() }),
  ),
});

export const bulkResult = z.object({
  mode: z.enum(['retry', 'rerun']),
  queued: z.array(z.object({ eventId: z.number().int(), stages: z.array(z.string()) })),
  refused: z.array(z.object({ eventId: z.number().int(), code: z.string(), message: z.string() })),
});

export const previewReply = z.object({ preview: bulkPreview });
export const runReply = z.object({ result: bulkResult });
export const planReply = z.object({ plan: runPlan });
