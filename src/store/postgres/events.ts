import type pg from 'pg';
import { StoreError } from '../../core/errors.js';
import type { EventRecord } from '../../core/types.js';
import type { EventFilter, InsertEventResult, ListOptions, NewEvent } from '../store.js';
import type { Queryable } from './connection.js';
import { decodeCursor, pageLimit, toPage } from '../cursor.js';
import { searchTerm, searchText } from '../search-text.js';
import { type EventRow, eventColumns, jsonParam, toEvent } from './rows.js';

/** Columns a new event is inserted with, in order (the rest take their defaults). */
const INSERT_COLUMNS = [
  'source',
  'provider_event_id',
  'entity_key',
  'type',
  'transaction_status',
  'occurred_at',
  'received_at',
  'raw_body',
  'content_type',
  'payload',
  'summary',
  'search_text',
  'next_attempt_at',
  'updated_at',
  'origin',
] as const;

/** Rows per INSERT statement: far below PostgreSQL's 65,535 parameters per statement. */
const INSERT_CHUNK = 1000;

function insertValues(event: NewEvent): unknown[] {
  return [
    event.source,
    event.providerEventId,
    event.entityKey,
    event.type,
    event.transactionStatus,
    event.occurredAt,
    event.receivedAt,
    event.rawBody,
    event.contentType,
    jsonParam(event.payload),
    jsonParam(event.summary ?? {}),
    searchText(event.providerEventId, event.summary ?? {}),
    // A new event is runnable from the moment it was received.
    event.receivedAt,
    event.receivedAt,
    event.origin ?? 'webhook',
  ];
}

function dedupeKey(source: string, providerEventId: string): string {
  return JSON.stringify([source, providerEventId]);
}

/**
 * Inserts events (ON CONFLICT DO NOTHING on the dedupe key) and returns each one's row: the
 * inserted ones straight from the INSERT's RETURNING, a duplicate read back by a second
 * statement (which also sees a row a concurrent inserter committed while this one waited on
 * the conflict), so a duplicate returns the row stored first. Results are in input order,
 * with the number of rows inserted. Ids follow the dedupe key's order within a batch, not
 * arrival order (a batch arrived within milliseconds).
 *
 * With `channel`, each INSERT also sends NOTIFY on it when it stored a row: a batch that fits
 * one INSERT (MAX_SINGLE_STATEMENT_BATCH) can then run autocommitted on the pool, one round
 * trip and one commit instead of five (BEGIN, INSERT, SELECT, NOTIFY, COMMIT). Larger batches
 * must run inside a transaction, or a failure would leave the first chunks stored.
 */
export async function insertEvents(
  db: Queryable,
  events: NewEvent[],
  channel: string | null = null,
): Promise<{ results: InsertEventResult[]; inserted: number }> {
  const firstIndex = new Map<string, number>();
  events.forEach((event, index) => {
    const key = dedupeKey(event.source, event.providerEventId);
    if (!firstIndex.has(key)) firstIndex.set(key, index);
  });
  // Inserted in key order, the same in every process: two batches holding the same deliveries
  // then wait on each other's rows in one direction only. In arrival order they could each hold
  // a row the other needs, and PostgreSQL would fail one batch as a deadlock (all of it a 503).
  const unique = [...firstIndex.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, index]) => events[index] as NewEvent);

  const byKey = new Map<string, EventRecord>();
  for (let start = 0; start < unique.length; start += INSERT_CHUNK) {
    const chunk = unique.slice(start, start + INSERT_CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((event) => {
      const values = insertValues(event);
      const placeholders = values.map((value, i) => {
        params.push(value);
        const column = INSERT_COLUMNS[i];
        return column === 'payload' || column === 'summary' ? `$${params.length}::jsonb` : `$${params.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    if (channel !== null) params.push(channel);
    const result = await db.query<EventRow>(
      `WITH ins AS (
         INSERT INTO events (${INSERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
         ON CONFLICT (source, provider_event_id) DO NOTHING
         RETURNING *
       )` +
        (channel === null
          ? ' SELECT ins.* FROM ins'
          : `, wake AS (SELECT pg_notify($${params.length}, '') WHERE EXISTS (SELECT 1 FROM ins))
       SELECT ins.*, (SELECT count(*) FROM wake) AS notified FROM ins`),
      params,
    );
    for (const row of result.rows) byKey.set(dedupeKey(row.source, row.provider_event_id), toEvent(row));
  }
  const inserted = new Set(byKey.keys());

  const duplicates = unique.filter((event) => !inserted.has(dedupeKey(event.source, event.providerEventId)));
  if (duplicates.length > 0) {
    const stored = await db.query<EventRow>(
      `SELECT e.* FROM events e
       JOIN unnest($1::text[], $2::text[]) AS k(source, provider_event_id)
         ON e.source = k.source AND e.provider_event_id = k.provider_event_id`,
      [duplicates.map((e) => e.source), duplicates.map((e) => e.providerEventId)],
    );
    for (const row of stored.rows) byKey.set(dedupeKey(row.source, row.provider_event_id), toEvent(row));
  }

  const results = events.map((event, index): InsertEventResult => {
    const key = dedupeKey(event.source, event.providerEventId);
    const record = byKey.get(key);
    if (!record) throw new StoreError('EVENT_VANISHED', `event ${key} vanished between insert and read-back`);
    return { event: record, duplicate: !(inserted.has(key) && firstIndex.get(key) === index) };
  });
  return { results, inserted: inserted.size };
}

/** The largest batch insertEventRows writes in one statement (atomic, so it may autocommit). */
export const MAX_SINGLE_STATEMENT_BATCH = INSERT_CHUNK;

/**
 * One delivery's insert, its NOTIFY inside: prepared once per connection (named), since an idle
 * worker's receipt → first stage starts with it, and parsing and planning it each time were
 * about half of its time unflushed (bench/README.md, branch `pg-idle`). Its RETURNING list is
 * fixed (rows.ts, eventColumns).
 */
const INSERT_ONE = `WITH ins AS (
     INSERT INTO events (${INSERT_COLUMNS.join(', ')})
     VALUES (${INSERT_COLUMNS.map((column, i) => (column === 'payload' || column === 'summary' ? `$${i + 1}::jsonb` : `$${i + 1}`)).join(', ')})
     ON CONFLICT (source, provider_event_id) DO NOTHING
     RETURNING ${eventColumns()}
   ), wake AS (
     SELECT pg_notify($${INSERT_COLUMNS.length + 1}, '') FROM ins
   )
   SELECT ins.*, (SELECT count(*) FROM wake) AS notified FROM ins`;

/**
 * One delivery in one autocommitted statement (the ingestion hot path: one round trip and one
 * commit instead of five): insert unless already stored, and NOTIFY `channel` only if a row
 * was inserted. A duplicate is read back by a second statement, which also sees a row that a
 * concurrent inserter committed while this one waited on the conflict.
 */
export async function insertEvent(pool: pg.Pool, event: NewEvent, channel: string): Promise<InsertEventResult> {
  const inserted = await pool.query<EventRow>({ name: 'webpig_insert_event', text: INSERT_ONE, values: [...insertValues(event), channel] });
  const row = inserted.rows[0];
  if (row) return { event: toEvent(row), duplicate: false };
  const existing = await findEventByProviderId(pool, event.source, event.providerEventId);
  if (!existing) {
    throw new StoreError('EVENT_VANISHED', `event ${dedupeKey(event.source, event.providerEventId)} vanished between insert and read-back`);
  }
  return { event: existing, duplicate: true };
}

export async function getEvent(db: Queryable, id: number): Promise<EventRecord | null> {
  if (!Number.isSafeInteger(id)) return null;
  const result = await db.query<EventRow>('SELECT * FROM events WHERE id = $1', [id]);
  const row = result.rows[0];
  return row ? toEvent(row) : null;
}

export async function findEventByProviderId(db: Queryable, source: string, providerEventId: string): Promise<EventRecord | null> {
  const result = await db.query<EventRow>('SELECT * FROM events WHERE source = $1 AND provider_event_id = $2', [source, providerEventId]);
  const row = result.rows[0];
  return row ? toEvent(row) : null;
}

/**
 * The substring test of the free-text filter. A term of three characters or more is a LIKE
 * with its own `%`, `_` and `\\` escaped, so the GIN trigram index of migration 0011 (pg_trgm)
 * can answer it with a bitmap index scan; the planner weighs it against walking the table by
 * its statistics. A shorter term holds no trigram to look up: strpos() walks the table, as LIKE
 * would. Both compare the folded text exactly (search-text.ts), so they find the same events.
 */
function textSearchSql(term: string, param: (value: unknown) => string): string {
  if ([...term].length < 3) return `strpos(e.search_text, ${param(term)}) > 0`;
  return `e.search_text LIKE ${param(`%${term.replace(/[\\%_]/g, '\\$&')}%`)}`;
}

/** Marked as handled since it last changed (markEventHandled; a later change needs someone again). */
export const HANDLED_SQL = '(e.handled_at IS NOT NULL AND e.handled_at >= e.updated_at)';

/** A stage skipped because a feature flag was off: found by the checkpoints' key (event_id, stage). */
export const STAGES_OFF_SQL =
  "EXISTS (SELECT 1 FROM checkpoints c WHERE c.event_id = e.id AND c.status = 'skipped' AND c.skip_reason->>'kind' = 'flag')";

/** The WHERE clause for a filter, with its parameters appended to `params`. */
export function eventFilterSql(filter: EventFilter, params: unknown[]): string {
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status !== undefined) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
    where.push(`e.status = ANY(${param(statuses)}::text[])`);
  }
  if (filter.source !== undefined) where.push(`e.source = ${param(filter.source)}`);
  if (filter.type !== undefined) where.push(`e.type = ${param(filter.type)}`);
  if (filter.transactionStatus !== undefined) where.push(`e.transaction_status = ${param(filter.transactionStatus)}`);
  if (filter.entityKey !== undefined) where.push(`e.entity_key = ${param(filter.entityKey)}`);
  if (filter.pipeline !== undefined) where.push(`e.pipeline = ${param(filter.pipeline)}`);
  if (filter.since !== undefined) where.push(`e.received_at >= ${param(filter.since)}`);
  if (filter.until !== undefined) where.push(`e.received_at < ${param(filter.until)}`);
  const term = searchTerm(filter.text ?? '');
  if (term !== '') where.push(textSearchSql(term, param));
  if (filter.checkpoint !== undefined) {
    const stages = filter.checkpoint.stages;
    const stageClause = stages !== undefined ? ` AND c.stage = ANY(${param(stages)}::text[])` : '';
    where.push(
      `EXISTS (SELECT 1 FROM checkpoints c WHERE c.event_id = e.id AND c.status = ${param(filter.checkpoint.status)}${stageClause})`,
    );
  }
  if (filter.minAttempts !== undefined) {
    const p = param(filter.minAttempts);
    where.push(`(e.manual_retries > ${p} OR e.attempts > ${p})`);
  }
  if (filter.needsAttention) {
    where.push("(e.status IN ('dead', 'retrying') OR EXISTS (SELECT 1 FROM checkpoints c WHERE c.event_id = e.id AND c.status = 'error'))");
  }
  if (filter.handled !== undefined) where.push(`${filter.handled ? '' : 'NOT '}${HANDLED_SQL}`);
  if (filter.currency !== undefined) where.push(`e.summary->>'currency' = ${param(filter.currency)}`);
  if (filter.origin !== undefined) where.push(`e.origin = ${param(filter.origin)}`);
  if (filter.stagesOff !== undefined) where.push(`${filter.stagesOff ? '' : 'NOT '}${STAGES_OFF_SQL}`);
  return where.length === 0 ? 'TRUE' : where.join(' AND ');
}

export async function listEvents(
  db: Queryable,
  filter: EventFilter,
  options: ListOptions = {},
): Promise<{ items: EventRecord[]; nextCursor: string | null }> {
  const limit = pageLimit(options.limit);
  const after = decodeCursor(options.cursor);
  const params: unknown[] = [];
  let where = eventFilterSql(filter, params);
  if (after !== null) {
    params.push(after);
    where += ` AND e.id < $${params.length}`;
  }
  params.push(limit + 1);
  const result = await db.query<EventRow>(`SELECT e.* FROM events e WHERE ${where} ORDER BY e.id DESC LIMIT $${params.length}`, params);
  const page = toPage(result.rows, limit, (row) => row.id);
  return { items: page.items.map(toEvent), nextCursor: page.nextCursor };
}

export async function countEvents(db: Queryable, filter: EventFilter): Promise<number> {
  const params: unknown[] = [];
  const where = eventFilterSql(filter, params);
  const result = await db.query<{ count: number }>(`SELECT count(*) AS count FROM events e WHERE ${where}`, params);
  return result.rows[0]?.count ?? 0;
}
