import type { HttpExchange, StageExchange } from '../../core/types.js';
import { storableTextOrNull } from '../storable.js';
import type { SqliteContext } from './connection.js';
import { fromJson, toDate, toJson, toMs } from './rows.js';

/** The HTTP calls stage attempts recorded (ctx.http), for the stage panel. */

const INSERT_EXCHANGE = `INSERT INTO stage_exchanges (event_id, stage, attempt, at, request, response, error, duration_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** Called inside recordStageOutcome's transaction. */
export function insertExchanges(ctx: SqliteContext, eventId: number, stage: string, attempt: number, exchanges: HttpExchange[]): void {
  for (const exchange of exchanges) {
    ctx.run(
      INSERT_EXCHANGE,
      eventId,
      stage,
      attempt,
      toMs(exchange.at),
      toJson(exchange.request),
      toJson(exchange.response),
      storableTextOrNull(exchange.error),
      exchange.durationMs,
    );
  }
}

interface ExchangeRow {
  stage: string;
  attempt: number;
  at: number;
  request: string;
  response: string | null;
  error: string | null;
  duration_ms: number | null;
}

export function getStageExchanges(ctx: SqliteContext, eventId: number): StageExchange[] {
  return ctx
    .all<ExchangeRow>(
      'SELECT stage, attempt, at, request, response, error, duration_ms FROM stage_exchanges WHERE event_id = ? ORDER BY id',
      eventId,
    )
    .map((row) => ({
      stage: row.stage,
      attempt: row.attempt,
      at: toDate(row.at),
      request: fromJson<StageExchange['request']>(row.request) as StageExchange['request'],
      response: fromJson<NonNullable<StageExchange['response']>>(row.response),
      error: row.error,
      durationMs: row.duration_ms,
    }));
}
