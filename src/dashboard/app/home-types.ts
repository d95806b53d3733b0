/** GET /api/home and GET /api/metrics (docs/api.md, "Home"), derived from the server's reply schemas. */
import type * as home from '../../core/wire/home.js';
import type * as monitoring from '../../core/wire/monitoring.js';
import type { Wire } from './types.js';

export type Money = Wire<typeof home.money>;
export type PeriodSummary = Wire<typeof home.periodSummary>;
export type HomeSummary = Wire<typeof home.homeSummary>;
/** An hour's outcomes that add up: received = succeeded + ignored + failed + inFlight. */
export type ThroughputHour = Wire<typeof monitoring.throughputBucket>;
export type StageDurationSeries = Wire<typeof monitoring.stageDurationSeries>;
export type MetricsSeries = Wire<typeof monitoring.metrics>;
