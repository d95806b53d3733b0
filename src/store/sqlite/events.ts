import type { EventRecord, EventStatus, Page } from '../../core/types.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import type { EventFilter, InsertEventResult, ListOptions, NewEvent, StoredDelivery } from '../store.js';
import type { SqliteContext, SqlValue } from './connection.js';
import { searchTerm, searchText } from '../search-text.js';
import { storableEvent, storableText } from '../storable.js';
import {
  EVENT_COLUMNS,
  EVENT_RECORD_COLUMNS,
  EVENTS_WITH_BODIES,
  toEvent,
  toJson,
  toMs,
  type EventBodyRow,
  type EventRow,
} from './rows.js';

/**
 * The inbox: storing deliveries once, reading and listing them. An event is two rows: `events`
 * (rewritten by every status change) and `event_bodies` (written here, in the same transaction,
 * and never again).
 */

const INSERT_EVENT = `INSERT INTO events (source, provider_event_id, entity_key, type, transaction_status,
    occurred_at, received_at, content_type, summary, search_text, status, next_attempt_at, updated_at, origin)
  VALUES (@source, @provider_event_id, @entity_key, @type, @transaction_status, @occurred_at,
    @received_at, @content_type, @summary, @search_text, 'queued', @received_at, @received_at, @origin)
  ON CONFLICT (source, provider_event_id) DO NOTHING
  RETURNING id`;

const INSERT_BODY = 'INSERT INTO event_bodies (event_id, raw_body, payload) VALUES (?, ?, ?)';

const SELECT_BY_PROVIDER_ID = `SELECT ${EVENT_RECORD_COLUMNS} FROM ${EVENTS_WITH_BODIES} WHERE source = ? AND provider_event_id = ?`;
const SELECT_BY_ID = `SELECT ${EVENT_RECORD_COLUMNS} FROM ${EVENTS_WITH_BODIES} WHERE id = ?`;
const SELECT_BODY = 'SELECT raw_body, payload FROM event_bodies WHERE event_id = ?';
const SELECT_BODIES = 'SELECT event_id, raw_body, payload FROM event_bodies WHERE event_id IN (SELECT value FROM json_each(?))';
const NO_BODY: EventBodyRow = { raw_body: null, payload: null };

/** The record of an event row just written (claim, finish, requeue): its body by primary key. */
export function withBody(ctx: SqliteContext, row: EventRow): EventRecord {
  const body = ctx.get<EventBodyRow>(SELECT_BODY, row.id) ?? NO_BODY;
  return toEvent({ ...row, ...body });
}

/**
 * What one insert wrote, as plain rows a thread can post (insert-thread.ts): a new event's row
 * and its payload's JSON text (its raw body is the caller's), or the stored event a duplicate
 * matched, body included.
 */
export type InsertedRow = { duplicate: false; row: EventRow; payload: string | null } | { duplicate: true; row: EventRow & EventBodyRow };

function insertOne(ctx: SqliteContext, delivery: NewEvent): InsertedRow {
  const event = storableEvent(delivery);
  const receivedAt = toMs(event.receivedAt);
  const written = {
    source: event.source,
    provider_event_id: event.providerEventId,
    entity_key: event.entityKey,
    type: event.type,
    transaction_status: event.transactionStatus,
    occurred_at: toMs(event.occurredAt),
    received_at: receivedAt,
    content_type: event.contentType,
    summary: toJson(event.summary),
    origin: delivery.origin ?? 'webhook',
  };
  const inserted = ctx.get<{ id: number }>(INSERT_EVENT, { ...written, search_text: searchText(event.providerEventId, event.summary) });
  if (inserted !== undefined) {
    const payload = toJson(event.payload);
    ctx.run(INSERT_BODY, inserted.id, event.rawBody, payload);
    // The row as INSERT_EVENT wrote it (its other columns take their defaults), instead of
    // RETURNING every column: one object built here, not 21 values copied out of SQLite.
    const row = { ...written, ...NEW_EVENT_STATE, id: inserted.id, next_attempt_at: receivedAt, updated_at: receivedAt };
    // summary is NOT NULL: had it been null, the INSERT would have thrown.
    return { duplicate: false, row: { ...row, summary: row.summary as string }, payload };
  }
  const existing = ctx.get<EventRow & EventBodyRow>(SELECT_BY_PROVIDER_ID, event.source, event.providerEventId);
  if (existing === undefined) throw new Error('unreachable: the insert conflicted but no row matches');
  return { duplicate: true, row: existing };
}

/** The columns of a new event that INSERT_EVENT leaves to their defaults, or sets to constants. */
const NEW_EVENT_STATE = {
  status: 'queued',
  pipeline: null,
  attempts: 0,
  manual_retries: 0,
  lease_owner: null,
  lease_expires_at: null,
  last_error: null,
  ignore_reason: null,
} as const;

/**
 * The record of an insert, as a read would return it: for a new event a copy of the delivery's
 * bytes (not the caller's Buffer) and the payload parsed from the JSON text written. Not read
 * back with RETURNING: copying ~3 KB out of SQLite cost more than this (bench/README.md).
 */
export function insertResult(inserted: InsertedRow, delivery: NewEvent): InsertEventResult {
  if (inserted.duplicate) return { event: toEvent(inserted.row), duplicate: true };
  return { event: toEvent({ ...inserted.row, raw_body: Buffer.from(delivery.rawBody), payload: inserted.payload }), duplicate: false };
}

/**
 * One transaction for the whole batch: one fsync for many deliveries (group commit). Resolves
 * once the batch is durable; its fsync runs off the event loop (connection.ts).
 */
export async function insertRows(ctx: SqliteContext, events: NewEvent[]): Promise<InsertedRow[]> {
  if (events.length === 0) return [];
  const rows = await ctx.immediateSyncedOffLoop(() => events.map((event) => insertOne(ctx, event)));
  if (rows.some((r) => !r.duplicate)) ctx.wake();
  return rows;
}

/** Resolves once the delivery is durable. */
export async function insertEvent(ctx: SqliteContext, event: NewEvent): Promise<InsertEventResult> {
  const [row] = await insertRows(ctx, [event]);
  if (row === undefined) throw new Error('unreachable: one event inserted, no row returned');
  return insertResult(row, event);
}

/** One transaction for the whole batch: one fsync for many deliveries (group commit). */
export async function insertEvents(ctx: SqliteContext, events: NewEvent[]): Promise<InsertEventResult[]> {
  const rows = await insertRows(ctx, events);
  return rows.map((row, i) => insertResult(row, events[i] as NewEvent));
}

/**
 * insertEvents for ingestion (Store.storeDeliveries): the same transaction and fsync, only each
 * event's id and whether it was a duplicate, without building the records (insertResult's copy
 * of the body and parse of the payload).
 */
export async function storeDeliveries(ctx: SqliteContext, events: NewEvent[]): Promise<StoredDelivery[]> {
  const rows = await insertRows(ctx, events);
  return rows.map((inserted) => ({ id: inserted.row.id, duplicate: inserted.duplicate }));
}

export function getEvent(ctx: SqliteContext, id: number): EventRecord | null {
  const row = ctx.get<EventRow & EventBodyRow>(SELECT_BY_ID, id);
  return row === undefined ? null : toEvent(row);
}

export function findEventByProviderId(ctx: SqliteContext, source: string, providerEventId: string): EventRecord | null {
  const row = ctx.get<EventRow & EventBodyRow>(SELECT_BY_PROVIDER_ID, storableText(source), storableText(providerEventId));
  return row === undefined ? null : toEvent(row);
}

/** Marked as handled since it last changed (markEventHandled; a later change needs someone again). */
export const HANDLED_SQL = '(handled_at IS NOT NULL AND handled_at >= updated_at)';

/**
 * A stage skipped because a feature flag was off: found by the checkpoints' own key (event_id,
 * stage), a few rows per event, as the list's other checkpoint filters (migration 0013).
 */
export const STAGES_OFF_SQL =
  "EXISTS (SELECT 1 FROM checkpoints c WHERE c.event_id = events.id AND c.status = 'skipped' AND json_extract(c.skip_reason, '$.kind') = 'flag')";

/** WHERE clause (without the keyword) and its positional parameters for an EventFilter. */
export function eventFilterSql(filter: EventFilter): { where: string; params: SqlValue[] } {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  if (filter.status !== undefined) {
    const statuses: EventStatus[] = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (statuses.length === 0) {
      clauses.push('0');
    } else {
      clauses.push(`status IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(statuses));
    }
  }
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    clauses.push(`${column} = ?`);
    params.push(value);
  };
  equal('source', filter.source);
  equal('type', filter.type);
  equal('transaction_status', filter.transactionStatus);
  equal('entity_key', filter.entityKey);
  equal('pipeline', filter.pipeline);
  if (filter.since !== undefined) {
    clauses.push('received_at >= ?');
    params.push(toMs(filter.since));
  }
  if (filter.until !== undefined) {
    clauses.push('received_at < ?');
    params.push(toMs(filter.until));
  }
  const term = searchTerm(filter.text ?? '');
  if (term !== '') {
    // instr(), not LIKE: the user's % and _ are plain characters.
    clauses.push('instr(search_text, ?) > 0');
    params.push(term);
  }
  if (filter.checkpoint !== undefined) {
    const stages = filter.checkpoint.stages;
    clauses.push(
      `EXISTS (SELECT 1 FROM checkpoints c WHERE c.event_id = events.id AND c.status = ?` +
        (stages === undefined ? ')' : ' AND c.stage IN (SELECT value FROM json_each(?)))'),
    );
    params.push(filter.checkpoint.status);
    if (stages !== undefined) params.push(JSON.stringify(stages));
  }
  if (filter.minAttempts !== undefined) {
    clauses.push('(attempts > ? OR manual_retries > ?)');
    params.push(filter.minAttempts, filter.minAttempts);
  }
  if (filter.needsAttention) {
    clauses.push(
      "(status IN ('dead', 'retrying') OR EXISTS (SELECT 1 FROM checkpoints c WHERE c.event_id = events.id AND c.status = 'error'))",
    );
  }
  if (filter.handled !== undefined) clauses.push(`${filter.handled ? '' : 'NOT '}${HANDLED_SQL}`);
  equal("json_extract(summary, '$.currency')", filter.currency);
  equal('origin', filter.origin);
  if (filter.stagesOff !== undefined) clauses.push(`${filter.stagesOff ? '' : 'NOT '}${STAGES_OFF_SQL}`);
  return { where: clauses.length === 0 ? '1' : clauses.join(' AND '), params };
}

/**
 * Most rows the trigram index may hold for a term for the list to walk the index, not the
 * table (`events_search`, migration 0011). A term in fewer rows is found through the index,
 * newest first, whatever the other filters. A term in more rows is common: walking the table
 * (or the index of another filter) meets its 50 rows soon, while walking the index would
 * match it in every row until the other filters' 50 turn up.
 */
const INDEXED_TERM_MAX_ROWS = 2000;

/** The last event id in the trigram index (migration 0012): every later one is not indexed yet. */
const INDEXED_THROUGH = 'SELECT indexed_through FROM events_search_progress';

/** The FTS5 query that matches `term` as a substring: one quoted string, its quotes doubled. */
function trigramPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * The search term as an FTS5 phrase when the trigram index should answer it: three characters
 * or more (the index holds nothing shorter) and in fewer than INDEXED_TERM_MAX_ROWS rows.
 */
function indexedSearchPhrase(ctx: SqliteContext, filter: EventFilter): string | null {
  const term = searchTerm(filter.text ?? '');
  if ([...term].length < 3) return null;
  const phrase = trigramPhrase(term);
  const rows = ctx.get<{ n: number }>(
    'SELECT count(*) AS n FROM (SELECT rowid FROM events_search WHERE events_search MATCH ? ORDER BY rowid DESC LIMIT ?)',
    phrase,
    INDEXED_TERM_MAX_ROWS,
  )?.n;
  return rows !== undefined && rows < INDEXED_TERM_MAX_ROWS ? phrase : null;
}

/**
 * The events table as a filter reads it. With an entity key the rows are a handful, found
 * through events_entity; SQLite without statistics (the store never runs ANALYZE) ranks
 * `source = ?` the same and walked events_source instead: every event of the source, on each
 * call. The Facturador asks this for every payment (payments.ts, reversalOf), and engine
 * reconciliation for every delivery it checks, so a growing database slowed each one down
 * (bench/README.md, 2026-12-06 14:00). Naming the index also makes a change that stops it
 * from fitting fail loudly (as claims.ts does).
 */
function eventsFor(filter: EventFilter): string {
  return filter.entityKey === undefined ? 'events' : 'events INDEXED BY events_entity';
}

/** The page query of listEvents, with its parameters (bench/list.ts explains it). */
export function listEventsQuery(ctx: SqliteContext, filter: EventFilter, options: ListOptions = {}): { sql: string; params: SqlValue[] } {
  const limit = pageLimit(options.limit);
  const after = decodeCursor(options.cursor);
  const { where, params } = eventFilterSql(filter);
  const phrase = indexedSearchPhrase(ctx, filter);
  const page = (from: string, order: string, also = '') => ({
    sql: `SELECT ${EVENT_COLUMNS} FROM ${from} WHERE ${also}${where}${after === null ? '' : ` AND ${order} < ?`} ORDER BY ${order} DESC LIMIT ?`,
    params: [...params, ...(after === null ? [] : [after]), limit + 1],
  });
  if (phrase === null) return page(eventsFor(filter), 'id');
  // Through the index, two walks newest first, each stopping at a page: the events the index
  // does not hold yet (indexed after the commit, search-index.ts: all newer than any it holds),
  // and the index's rows for the term. The filter's instr() checks each row, so the result is
  // the substring test's, whichever way the rows are found.
  const pending = page(eventsFor(filter), 'id', `id > (${INDEXED_THROUGH}) AND `);
  const indexed = page(
    '(SELECT rowid AS hit FROM events_search WHERE events_search MATCH ?) AS h JOIN events ON events.id = h.hit',
    'h.hit',
  );
  return {
    sql: `SELECT * FROM (${pending.sql}) UNION ALL SELECT * FROM (${indexed.sql}) ORDER BY id DESC LIMIT ?`,
    params: [...pending.params, phrase, ...indexed.params, limit + 1],
  };
}

export function listEvents(ctx: SqliteContext, filter: EventFilter, options: ListOptions = {}): Page<EventRecord> {
  const limit = pageLimit(options.limit);
  const { sql, params } = listEventsQuery(ctx, filter, options);
  const rows = ctx.all<EventRow>(sql, ...params);
  // Bodies only for the page, after the limit: a filter the planner sorts in a temporary
  // B-tree (status IN …) sorts small rows, not every match's body.
  const bodies = new Map<number, EventBodyRow>();
  if (rows.length > 0) {
    const ids = JSON.stringify(rows.map((row) => row.id));
    for (const body of ctx.all<EventBodyRow & { event_id: number }>(SELECT_BODIES, ids)) bodies.set(body.event_id, body);
  }
  const records = rows.map((row) => toEvent({ ...row, ...(bodies.get(row.id) ?? NO_BODY) }));
  return toPage(records, limit, (event) => event.id);
}

/** The query of countEvents, with its parameters. */
export function countEventsQuery(filter: EventFilter): { sql: string; params: SqlValue[] } {
  const { where, params } = eventFilterSql(filter);
  return { sql: `SELECT count(*) AS n FROM ${eventsFor(filter)} WHERE ${where}`, params };
}

export function countEvents(ctx: SqliteContext, filter: EventFilter): number {
  const { sql, params } = countEventsQuery(filter);
  return ctx.get<{ n: number }>(sql, ...params)?.n ?? 0;
}
