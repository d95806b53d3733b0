import type { HttpExchange, StageExchange } from '../../core/types.js';
import { storableTextOrNull } from '../storable.js';
import type { Queryable } from './connection.js';
import { jsonParam } from './rows.js';

/** The HTTP calls stage attempts recorded (ctx.http), for the stage panel. */

/** Called inside recordStageOutcome's transaction. */
export async function insertExchanges(
  db: Queryable,
  eventId: number,
  stage: string,
  attempt: number,
  exchanges: HttpExchange[],
): Promise<void> {
  await insertExchangeRows(
    db,
    exchanges.map((exchange) => ({ eventId, stage, attempt, exchange })),
  );
}

/** Several attempts' calls in one statement. */
export async function insertExchangeRows(
  db: Queryable,
  rows: { eventId: number; stage: string; attempt: number; exchange: HttpExchange }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO stage_exchanges (event_id, stage, attempt, at, request, response, error, duration_ms)
     SELECT x.event_id, x.stage, x.attempt, x.at, x.request, x.response, x.error, x.duration_ms
     FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::timestamptz[], $5::jsonb[], $6::jsonb[], $7::text[], $8::integer[]) WITH ORDINALITY
       AS x(event_id, stage, attempt, at, request, response, error, duration_ms, n)
     ORDER BY x.n`,
    [
      rows.map((r) => r.eventId),
      rows.map((r) => r.stage),
      rows.map((r) => r.attempt),
      rows.map((r) => r.exchange.at),
      rows.map((r) => jsonParam(r.exchange.request)),
      rows.map((r) => jsonParam(r.exchange.response)),
      rows.map((r) => storableTextOrNull(r.exchange.error)),
      rows.map((r) => r.exchange.durationMs),
    ],
  );
}

interface ExchangeRow {
  stage: string;
  attempt: number;
  at: Date;
  request: StageExchange['request'];
  response: StageExchange['response'];
  error: string | null;
  duration_ms: number | null;
}

export async function getStageExchanges(db: Queryable, eventId: number): Promise<StageExchange[]> {
  const result = await db.query<ExchangeRow>(
    'SELECT stage, attempt, at, request, response, error, duration_ms FROM stage_exchanges WHERE event_id = $1 ORDER BY id',
    [eventId],
  );
  return result.rows.map((row) => ({
    stage: row.stage,
    attempt: row.attempt,
    at: row.at,
    request: row.request,
    response: row.response,
    error: row.error,
    durationMs: row.duration_ms,
  }));
}
