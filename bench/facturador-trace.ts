/**
 * Where an event's time goes in bench/facturador.ts (`--trace`), read back from the demo's
 * SQLite file after the run: receipt → first stage start (waiting for a claim), time inside
 * the stages (their HTTP calls to the sandbox), time between one stage's end and the next
 * one's start (checkpoint commits, scheduling), and how many events were in flight at once
 * (is the worker's concurrency filled?).
 */
import Database from 'better-sqlite3';

interface StageRow {
  event_id: number;
  stage: string;
  started_at: number;
  completed_at: number;
  duration_ms: number;
  received_at: number;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** Lines describing the run, from the checkpoints of the run's events. */
export function traceLines(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT c.event_id, c.stage, c.started_at, c.completed_at, c.duration_ms, e.received_at
           FROM checkpoints c JOIN events e ON e.id = c.event_id
          WHERE c.status = 'success' AND c.started_at IS NOT NULL
          ORDER BY c.event_id, c.started_at`,
      )
      .all() as StageRow[];
    const byEvent = new Map<number, StageRow[]>();
    for (const row of rows) byEvent.set(row.event_id, [...(byEvent.get(row.event_id) ?? []), row]);
    const claimWait: number[] = [];
    const inStages: number[] = [];
    const between: number[] = [];
    const span: number[] = [];
    const perStage = new Map<string, number[]>();
    const intervals: Array<[number, number]> = [];
    for (const stages of byEvent.values()) {
      const first = stages[0]!;
      const last = stages[stages.length - 1]!;
      claimWait.push(first.started_at - first.received_at);
      inStages.push(stages.reduce((sum, s) => sum + s.duration_ms, 0));
      for (let i = 1; i < stages.length; i++) between.push(stages[i]!.started_at - stages[i - 1]!.completed_at);
      span.push(last.completed_at - first.started_at);
      intervals.push([first.started_at, last.completed_at]);
      for (const s of stages) perStage.set(s.stage, [...(perStage.get(s.stage) ?? []), s.duration_ms]);
    }
    // Events in flight (first stage started, last not yet completed), sampled every 10 ms.
    const from = Math.min(...intervals.map(([a]) => a));
    const to = Math.max(...intervals.map(([, b]) => b));
    const inFlight: number[] = [];
    for (let t = from; t <= to; t += 10) inFlight.push(intervals.filter(([a, b]) => a <= t && t < b).length);
    return [
      `  trace of ${byEvent.size} events (${rows.length} successful stages), from the checkpoints:`,
      `    receipt → first stage start: p50 ${ms(percentile(claimWait, 50))}, p99 ${ms(percentile(claimWait, 99))}`,
      `    first stage start → last stage end: mean ${ms(mean(span))} = in stages ${ms(mean(inStages))} + between stages ${ms(mean(span) - mean(inStages))}`,
      `    between two stages (end → next start): p50 ${ms(percentile(between, 50))}, p99 ${ms(percentile(between, 99))}, ${(between.length / byEvent.size).toFixed(1)} an event`,
      `    events in flight (sampled every 10 ms): mean ${mean(inFlight).toFixed(1)}, max ${Math.max(...inFlight)}`,
      `    stage durations (mean): ${[...perStage].map(([stage, d]) => `${stage} ${mean(d).toFixed(1)}`).join(', ')}`,
    ];
  } finally {
    db.close();
  }
}
