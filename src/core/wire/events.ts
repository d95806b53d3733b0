import { z } from 'zod';
import { checkpointStatus, errorInfo, eventStatus, jsonObject, jsonValue, page, skipReason, transactionStatus } from './common.js';

/** Events as the API shows them (docs/api.md): rows with one cell per column, and the detail view. */

/** Structured facts about an event (core/types.ts EventSummary). */
export const eventSummary = z.object({
  customer: z
    .object({ name: z.string().optional(), documentId: z.string().optional(), email: z.string().optional(), phone: z.string().optional() })
    .optional(),
  product: z
    .object({ name: z.string().optional(), id: z.string().optional(), category: z.string().optional(), price: z.number().optional() })
    .optional(),
  amount: z.number().optional(),
  currency: z.string().optional(),
  references: z.record(z.string(), z.string()).optional(),
});

export const attemptRecord = z.object({
  attempt: z.number().int(),
  status: checkpointStatus,
  startedAt: z.date(),
  completedAt: z.date().nullable(),
  durationMs: z.number().nullable(),
  error: errorInfo.nullable(),
  note: z.string().nullable(),
});

export const checkpoint = z.object({
  eventId: z.number().int(),
  stage: z.string(),
  status: checkpointStatus,
  attempts: z.number().int(),
  startedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
  durationMs: z.number().nullable(),
  data: jsonValue.nullable(),
  error: errorInfo.nullable(),
  skipReason: skipReason.nullable(),
  history: z.array(attemptRecord),
  updatedAt: z.date(),
});

export const cellState = z.enum(['success', 'error', 'processing', 'skipped', 'not_run', 'not_applicable']);
export const columnCell = z.object({ state: cellState, stages: z.array(z.string()) });

export const eventRow = z.object({
  id: z.number().int(),
  source: z.string(),
  providerEventId: z.string(),
  entityKey: z.string().nullable(),
  type: z.string(),
  transactionStatus: transactionStatus.nullable(),
  occurredAt: z.date(),
  receivedAt: z.date(),
  status: eventStatus,
  pipeline: z.string().nullable(),
  attempts: z.number().int(),
  manualRetries: z.number().int(),
  nextAttemptAt: z.date().nullable(),
  lastError: errorInfo.nullable(),
  ignoreReason: z
    .object({
      kind: z.enum(['no_pipeline', 'not_applicable', 'stale_transition', 'invalid_transition']),
      detail: z.string(),
      /** A pipeline's own reason by language, when it gave one. */
      texts: z.object({ es: z.string().optional(), en: z.string().optional() }).optional(),
    })
    .nullable(),
  /** Where (a stage, or null: outside any stage) and why the event failed. */
  failure: z.object({ stage: z.string().nullable(), error: errorInfo }).nullable(),
  summary: eventSummary,
  updatedAt: z.date(),
  /** 'reconciliation': its webhook never arrived; found in the provider's own records. */
  origin: z.enum(['webhook', 'reconciliation']),
  /** A dead event someone marked as handled by hand, while that holds (a retry or new failure clears it). */
  handled: z.object({ at: z.date(), by: z.string(), reason: z.string() }).nullable(),
  columns: z.record(z.string(), columnCell),
  checkpoints: z.array(checkpoint),
});

export const eventLogEntry = z.object({
  at: z.date(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  stage: z.string().nullable(),
  /** The stage attempt that wrote it (null: the engine's own line). */
  attempt: z.number().int().nullable().optional(),
  message: z.string(),
  fields: jsonObject.nullable(),
});

/** One side of an HTTP call a stage made; secrets already redacted. */
export const httpMessage = z.object({ headers: z.record(z.string(), z.string()), body: z.string().nullable(), bodyTruncated: z.boolean() });

/** An HTTP call a stage attempt made (ctx.http). */
export const stageExchange = z.object({
  stage: z.string(),
  attempt: z.number().int(),
  at: z.date(),
  request: httpMessage.extend({ method: z.string(), url: z.string() }),
  response: httpMessage.extend({ status: z.number().int() }).nullable(),
  error: z.string().nullable(),
  durationMs: z.number().nullable(),
});

export const eventsPage = page(eventRow);

/** GET /api/events/:id: the row, its log, the HTTP calls its stages made, the raw delivery (redacted). */
export const eventDetails = z.object({ event: eventRow, logs: z.array(eventLogEntry), exchanges: z.array(stageExchange), raw: z.string() });

/** A retry, a re-run: the event as it is now. */
export const eventReply = z.object({ event: eventRow });

export const handledReply = z.object({ event: eventRow, handled: z.object({ at: z.date(), by: z.string(), reason: z.string() }) });
