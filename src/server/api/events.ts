import { z } from 'zod';
import { EVENT_STATUSES, TRANSACTION_STATUSES, type EventRecord, type EventStatus } from '../../core/types.js';
import type { EventFilter } from '../../store/store.js';
import { HttpError } from '../http-errors.js';
import { BulkRequestError, checkEventFilter } from '../../engine/bulk-actions.js';
import { bulkRequestRefusal, reasonBody } from './bulk.js';
import { idParam, replies, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { COLUMN_STATES, toEventRow, type ColumnState, type EventRow } from './event-view.js';
import { redactRawBody } from './redact.js';
import { eventDetails, eventReply, eventsPage } from '../../core/wire/events.js';
import { knownSourcesFor } from './source-filter.js';

/** GET /api/events, GET /api/events/:id, retry and stage re-run. */

const yesNo = z.enum(['true', 'false']).transform((value) => value === 'true');

/** The list's filters, shared with the CSV export (events-export.ts). */
export const eventFilterQuery = z.object({
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(EVENT_STATUSES as [EventStatus, ...EventStatus[]])))
    .optional(),
  source: z.string().min(1).max(100).optional(),
  type: z.string().min(1).max(200).optional(),
  transactionStatus: z.enum(TRANSACTION_STATUSES as [string, ...string[]]).optional(),
  pipeline: z.string().min(1).max(100).optional(),
  column: z.string().min(1).max(100).optional(),
  columnState: z.enum(COLUMN_STATES as [ColumnState, ...ColumnState[]]).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  q: z.string().max(200).optional(),
  /** The summary's currency code, e.g. COP (the home's money figures link with it). */
  currency: z.string().min(1).max(10).optional(),
  /** reconciliation: events whose webhooks never arrived, found at the provider; webhook: the others. */
  origin: z.enum(['webhook', 'reconciliation']).optional(),
  /** true: dead events someone marked as handled since they last changed; false: the others. */
  handled: yesNo.optional(),
  /** true: events with a stage skipped because its feature flag was off; false: none skipped so. */
  stagesOff: yesNo.optional(),
});
const listQuery = eventFilterQuery.extend({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const stageParams = idParam.extend({ stage: z.string().min(1).max(200) });
type EventFilterQuery = z.output<typeof eventFilterQuery>;

/** One event's row. */
export async function loadRow(ctx: ApiContext, event: EventRecord): Promise<EventRow> {
  const [row] = await loadRows(ctx, [event]);
  if (!row) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${event.id}`);
  return row;
}

/** Post-filter pages are fetched until `limit` rows match or this many pages were read. */
const MAX_PAGES_PER_REQUEST = 20;

/** Rows with their checkpoints, read in one query for the whole page (no N+1). */
export async function loadRows(ctx: ApiContext, events: EventRecord[]): Promise<EventRow[]> {
  const checkpoints = await ctx.store.getCheckpointsForEvents(events.map((e) => e.id));
  return events.map((event) => toEventRow(event, checkpoints.get(event.id) ?? [], ctx.columns));
}

/** The store filter for a query, or null when the query cannot match anything. */
export async function storeFilter(ctx: ApiContext, query: EventFilterQuery): Promise<EventFilter | null> {
  const filter: EventFilter = {};
  if (query.status?.length) filter.status = query.status;
  if (query.source) filter.source = query.source;
  if (query.type) filter.type = query.type;
  if (query.transactionStatus) filter.transactionStatus = query.transactionStatus as EventFilter['transactionStatus'];
  if (query.since) filter.since = new Date(query.since);
  if (query.until) filter.until = new Date(query.until);
  if (query.q?.trim()) filter.text = query.q.trim();
  if (query.pipeline) filter.pipeline = query.pipeline;
  if (query.currency) filter.currency = query.currency;
  if (query.origin) filter.origin = query.origin;
  if (query.handled !== undefined) filter.handled = query.handled;
  if (query.stagesOff !== undefined) filter.stagesOff = query.stagesOff;
  // The bulk actions' check, so the list and a bulk preview refuse the same filters alike
  // (an empty range of dates, an unknown pipeline or source) instead of the list being empty.
  // A source removed from the config that still has stored events is known: they stay listable.
  const knownSources = await knownSourcesFor(ctx, filter.source);
  try {
    const { source, pipeline, since, until } = filter;
    checkEventFilter(ctx.pipelines, { status: query.status, source, pipeline, since, until }, knownSources);
  } catch (err) {
    throw err instanceof BulkRequestError ? bulkRequestRefusal(err) : err;
  }
  let stages: string[] | null = null;
  if (query.column) {
    const column = ctx.columns.find((c) => c.key === query.column);
    if (!column) throw new HttpError(400, 'INVALID_REQUEST', `column: unknown column "${query.column}"`);
    stages = column.stages;
  }
  // The store narrows what it can; the exact cell state is checked on the rows afterwards.
  const state = query.columnState;
  if (state === 'error' && !query.column) {
    // "Any error": a failed stage in any column or in none, or a dead or retrying event.
    filter.needsAttention = true;
  } else if (state === 'error' || state === 'processing' || state === 'skipped' || state === 'success') {
    filter.checkpoint = stages ? { status: state, stages } : { status: state };
  } else if (state === 'not_applicable') {
    // Only ignored events are not applicable: intersect with the statuses asked for.
    const statuses = query.status?.length ? query.status.filter((s) => s === 'ignored') : ['ignored' as const];
    if (statuses.length === 0) return null;
    filter.status = statuses;
  }
  return filter;
}

/** A row's cells against the query's column state, which the store only narrows (see storeFilter). */
export function matchesState(ctx: ApiContext, row: EventRow, column: string | undefined, state: ColumnState | undefined): boolean {
  if (!state) return true;
  if (state === 'error' && !column) return true; // the store's needsAttention is exact
  const keys = column ? [column] : ctx.columns.map((c) => c.key);
  return keys.some((key) => row.columns[key]?.state === state);
}

export function registerEventRoutes(app: ApiApp, ctx: ApiContext): void {
  const listSchema = { summary: 'Events, newest first, filtered', querystring: listQuery, response: replies(eventsPage) };
  app.get('/api/events', { config: { rights: 'events:read' }, schema: listSchema }, async (request) => {
    requireScope(request, 'events:read');
    const { query } = request;
    const filter = await storeFilter(ctx, query);
    if (!filter) return { items: [], nextCursor: null };
    const items: EventRow[] = [];
    let cursor: string | null = query.cursor ?? null;
    for (let page = 0; page < MAX_PAGES_PER_REQUEST; page++) {
      const result = await ctx.store.listEvents(filter, { cursor, limit: query.limit - items.length });
      const rows = await loadRows(ctx, result.items);
      items.push(...rows.filter((row) => matchesState(ctx, row, query.column, query.columnState)));
      cursor = result.nextCursor;
      if (!cursor || items.length >= query.limit) break;
    }
    return { items, nextCursor: cursor };
  });

  const detailSchema = {
    summary: 'One event: its row, log, HTTP calls and raw delivery (redacted)',
    params: idParam,
    response: replies(eventDetails),
  };
  app.get('/api/events/:id', { config: { rights: 'events:read' }, schema: detailSchema }, async (request) => {
    requireScope(request, 'events:read');
    const { id } = request.params;
    const event = await ctx.store.getEvent(id);
    if (!event) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${id}`);
    const [rows, logs, exchanges] = await Promise.all([
      loadRows(ctx, [event]),
      ctx.store.getEventLogs(id),
      ctx.store.getStageExchanges(id),
    ]);
    const [row] = rows;
    if (!row) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${id}`);
    return { event: row, logs, exchanges, raw: redactRawBody(event.rawBody, event.contentType) };
  });

  const retrySchema = {
    summary: 'Put a dead or retrying event back in the queue',
    params: idParam,
    body: reasonBody,
    response: replies(eventReply),
  };
  app.post('/api/events/:id/retry', { config: { rights: 'events:retry' }, schema: retrySchema }, async (request) => {
    const principal = requireScope(request, 'events:retry');
    const eventId = request.params.id;
    const reason = request.body.reason || null;
    const event = await ctx.operations.retryEvent({ eventId, actor: principal.email, remoteAddress: request.ip, now: ctx.now(), reason });
    return { event: await loadRow(ctx, event) };
  });

  const rerunSchema = {
    summary: 'Run one stage again (and those it had blocked)',
    params: stageParams,
    body: reasonBody,
    response: replies(eventReply),
  };
  app.post('/api/events/:id/stages/:stage/rerun', { config: { rights: 'stages:rerun' }, schema: rerunSchema }, async (request) => {
    const principal = requireScope(request, 'stages:rerun');
    const { id: eventId, stage } = request.params;
    const reason = request.body.reason || null;
    const event = await ctx.operations.rerunStage({
      eventId,
      stage,
      actor: principal.email,
      remoteAddress: request.ip,
      now: ctx.now(),
      reason,
    });
    return { event: await loadRow(ctx, event) };
  });
}
