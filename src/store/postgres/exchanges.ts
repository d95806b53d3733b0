import type { HttpExchange, StageExchange } from '../../core/types.js';
import { storableTextOrNull } from '../storable.js';
import type { Queryable } from './connection.js';
import { jsonParam } from './rows.js';

/** The HTTP calls stage attempts recorded (ctx.http), for the stage panel. */

/** Called inside recordStageOutcome's transaction. */
export async function insertExchanges(db: Queryable, eventId: number, stage: string, attempt: number, exchanges: HttpExchange[]): Promise<void> {
  if (exchanges.length === 0) return;
  await db.query(
    `INSERT INTO stage_exchanges (event_id, stage, attempt, at, request, response, error, duration_ms)
     SELECT $1, $2, $3, x.at, x.request, x.response, x.error, x.duration_ms
     FROM unnest($4::timestamptz[], $5::jsonb[], $6::jsonb[], $7::text[], $8::integer[]) WITH ORDINALITY
       AS x(at, request, response, error, duration_ms, n)
     ORDER BY x.n`,
    [
      eventId,
      stage,
      attempt,
      exchanges.map((x) => x.at),
      exchanges.map((x) => jsonParam(x.request)),
      exchanges.map((x) => jsonParam(x.response)),
      exchanges.map((x) => storableTextOrNull(x.error)),
      exchanges.map((x) => x.durationMs),
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
