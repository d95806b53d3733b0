import type { z } from 'zod';
import type { stageDurationSeries, throughputBucket } from '../../core/wire/monitoring.js';
import type { AttemptSample } from '../../store/store.js';
import type { ApiContext } from './context.js';

/**
 * The series behind the metrics charts: events per hour by outcome, and each stage's typical
 * duration per hour. An hour's outcomes add up: received = succeeded + ignored + failed +
 * inFlight (failed: dead; inFlight: queued, processing or retrying — not finished yet).
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export type ThroughputBucket = z.output<typeof throughputBucket>;

/** Hourly buckets up to two days, daily beyond; at most 90 buckets either way. */
export function bucketStarts(since: Date, now: Date): { bucketMs: number; starts: number[] } {
  const span = now.getTime() - since.getTime();
  const bucketMs = span <= 2 * DAY_MS ? HOUR_MS : DAY_MS;
  const first = Math.floor(since.getTime() / bucketMs) * bucketMs;
  const start = Math.max(first, Math.floor(now.getTime() / bucketMs) * bucketMs - 89 * bucketMs);
  const starts: number[] = [];
  for (let at = start; at <= now.getTime(); at += bucketMs) starts.push(at);
  return { bucketMs, starts };
}

export async function throughput(ctx: ApiContext, since: Date, now: Date): Promise<ThroughputBucket[]> {
  const { bucketMs, starts } = bucketStarts(since, now);
  return Promise.all(
    starts.map(async (at) => {
      const totals = await ctx.store.eventTotals({ since: new Date(at), until: new Date(at + bucketMs) });
      const count = (...statuses: string[]) => totals.filter((t) => statuses.includes(t.status)).reduce((n, t) => n + t.events, 0);
      return {
        at: new Date(at),
        received: count('queued', 'processing', 'retrying', 'succeeded', 'dead', 'ignored'),
        succeeded: count('succeeded'),
        ignored: count('ignored'),
        failed: count('dead'),
        inFlight: count('queued', 'processing', 'retrying'),
      };
    }),
  );
}

/** One bucket of a stage's finished attempts (success or error). */
export type StageDurationPoint = z.output<typeof stageDurationSeries>['points'][number];

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Per stage, one point per bucket (null where the stage did not run), on the same buckets as throughput. */
export function stageDurations(samples: AttemptSample[], since: Date, now: Date): Array<{ stage: string; points: StageDurationPoint[] }> {
  const { bucketMs, starts } = bucketStarts(since, now);
  const first = starts[0] ?? now.getTime();
  const byStage = new Map<string, number[][]>();
  for (const sample of samples) {
    if (sample.durationMs === null || sample.status === 'skipped' || sample.status === 'pending') continue;
    const index = Math.floor((sample.completedAt.getTime() - first) / bucketMs);
    if (index < 0 || index >= starts.length) continue;
    let buckets = byStage.get(sample.stage);
    if (!buckets) byStage.set(sample.stage, (buckets = starts.map(() => [])));
    buckets[index]?.push(sample.durationMs);
  }
  return [...byStage.entries()].map(([stage, buckets]) => ({
    stage,
    points: buckets.map((durations, index) => {
      const sorted = durations.sort((a, b) => a - b);
      return {
        at: new Date(starts[index] ?? first),
        attempts: sorted.length,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
      };
    }),
  }));
}
