import type { EventRow } from './types.js';

/** GET /api/home (docs/api.md, "Home"). */

export interface Money {
  events: number;
  amount: number;
}

export interface PeriodSummary {
  since: string;
  until: string;
  money: { received: Money; invoiced: Money; stuck: Money; inProgress: Money; ignored: Money; otherCurrency: number };
  ignored: Array<{ kind: string | null; events: number }>;
  rejected: number;
}

export interface HomeSummary {
  now: string;
  timeZone: string;
  currency: string;
  attention: { queued: number; processing: number; retrying: number; dead: number; deadUnhandled: number };
  today: PeriodSummary;
  week: PeriodSummary;
  pinned: EventRow[];
}

/** GET /api/metrics with the hours that add up and the stage durations per hour. */
export interface ThroughputHour {
  at: string;
  received: number;
  succeeded: number;
  ignored: number;
  failed: number;
  inFlight: number;
}

export interface StageDurationSeries {
  stage: string;
  points: Array<{ at: string; attempts: number; p50Ms: number | null; p95Ms: number | null }>;
}

export interface MetricsSeries {
  since: string;
  stages: Array<{ stage: string; total: number; success: number; error: number; successRate: number | null; p50Ms: number | null; p95Ms: number | null }>;
  throughput: ThroughputHour[];
  stageDurations: StageDurationSeries[];
}
