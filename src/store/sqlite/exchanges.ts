import type { HttpExchange, StageExchange } from '../../core/types.js';
import { storableTextOrNull } from '../storable.js';
import type { SqliteContext } from './connection.js';
import { MultiRowStatement } from './multi-row.js';
import { fromJson, toDate, toJson, toMs } from './rows.js';

/** The HTTP calls stage attempts recorded (ctx.http), for the stage panel. */

/** One recorded HTTP call of an outcome's attempt, as insertExchanges takes it. */
export interface ExchangeOfAttempt {
  eventId: number;
  stage: string;
  attempt: number;
  exchange: HttpExchange;
}

// A whole checkpoint batch's exchanges in one statement (multi-row.ts): the Facturador records
// about 15 an event, one INSERT each before.
const INSERT_EXCHANGES = new MultiRowStatement<ExchangeOfAttempt>(
  'INSERT INTO stage_exchanges (event_id, stage, attempt, at, request, response, error, duration_ms) VALUES',
  '(?, ?, ?, ?, ?, ?, ?, ?)',
  '',
  ({ eventId, stage, attempt, exchange }) => [
    eventId,
    stage,
    attempt,
    toMs(exchange.at),
    toJson(exchange.request),
    toJson(exchange.response),
    storableTextOrNull(exchange.error),
    exchange.durationMs,
  ],
);

/** Called inside recordStageOutcome's transaction (or a checkpoint batch's), in order. */
export function insertExchanges(ctx: SqliteContext, exchanges: readonly ExchangeOfAttempt[]): void {
  if (exchanges.length > 0) INSERT_EXCHANGES.run(ctx, exchanges);
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
