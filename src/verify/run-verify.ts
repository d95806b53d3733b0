/**
 * `webpig verify`: the crash test, shipped. Sends N synthetic deliveries through the real
 * webhook endpoint into a scratch database, runs the user's own pipelines in worker processes
 * that SIGKILL themselves at random stage boundaries and in the middle of effects, restarts
 * them, drains what is left with a worker that is not killed, and then asks each stage's own
 * look-up (`countEffects`, else `reconcile`) whether every effect happened exactly once.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { EventStatus } from '../core/types.js';
import type { SignedDelivery } from '../sources/signing.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { checkEffects, type StageEffects } from './effects-check.js';
import { killPlan, type KillPlan } from './kill-plan.js';

/** One synthetic delivery: a signed request (see the package's signing helpers) and its source. */
export type VerifyDelivery = SignedDelivery & { source: string };

/** How a worker process ended: killed by its plan, or finished with nothing left to do. */
export interface WorkerExit {
  killed: boolean;
  code: number | null;
  stderr: string;
}

export interface VerifyOptions {
  config: ResolvedConfig;
  /** The scratch database (every store URL works; the CLI makes a temporary SQLite file). */
  databaseUrl: string;
  delivery: (index: number) => VerifyDelivery | Promise<VerifyDelivery>;
  events: number;
  kills: number;
  seed: number;
  /** Starts the HTTP server on a free port and returns its URL and how to stop it. */
  startServer(store: Store): Promise<{ url: string; stop(): Promise<void> }>;
  /** Runs one worker process on the scratch database until it exits (plan null: never killed). */
  runWorker(plan: KillPlan | null): Promise<WorkerExit>;
  print(line: string): void;
}

export interface VerifyReport {
  accepted: number;
  killed: { boundary: number; midStage: number };
  statuses: Partial<Record<EventStatus, number>>;
  stages: StageEffects[];
  /** True when every delivery was kept, every event finished and no checked effect is missing or doubled. */
  passed: boolean;
}

const FINISHED: readonly EventStatus[] = ['succeeded', 'ignored'];

async function sendDeliveries(options: VerifyOptions, url: string): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < options.events; i++) {
    const d = await options.delivery(i);
    const response = await fetch(`${url}/webhooks/${encodeURIComponent(d.source)}${d.query}`, {
      method: d.method,
      headers: d.headers,
      body: d.method === 'GET' ? undefined : d.body,
    });
    const reply = await response.text();
    if (response.status !== 200) {
      throw new Error(`synthetic delivery ${i} to source "${d.source}" was refused: ${response.status} ${reply.slice(0, 300)}`);
    }
    if (!/"duplicate"\s*:\s*true/.test(reply)) accepted += 1;
  }
  return accepted;
}

/** Failpoints one event passes through: four per stage and the finish. */
function failpointsPerEvent(config: ResolvedConfig): number {
  const stages = Math.max(1, ...config.pipelines.map((p) => p.stages.length));
  return stages * 4 + 1;
}

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const { print } = options;
  const store = await openStore(options.databaseUrl);
  await store.migrate();
  try {
    const server = await options.startServer(store);
    let accepted: number;
    try {
      accepted = await sendDeliveries(options, server.url);
    } finally {
      await server.stop();
    }
    print(`sent ${options.events} deliveries through ${server.url}/webhooks/…: ${accepted} new events`);

    const maxHits = Math.ceil((accepted * failpointsPerEvent(options.config)) / Math.max(1, options.kills));
    const killed = { boundary: 0, midStage: 0 };
    for (let run = 0; run < options.kills; run++) {
      const plan = killPlan(options.seed, run, maxHits);
      const exit = await options.runWorker(plan);
      if (exit.killed) {
        if (plan.midStageDelayMs === null) killed.boundary += 1;
        else killed.midStage += 1;
      } else if (exit.code !== 0) {
        throw new Error(`a verify worker failed (exit ${String(exit.code)}): ${exit.stderr.trim().slice(-500)}`);
      }
      if ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) === 0) break;
    }
    print(
      `killed ${killed.boundary + killed.midStage} worker processes with SIGKILL (${killed.boundary} at a stage boundary, ${killed.midStage} mid-effect)`,
    );
    const final = await options.runWorker(null);
    if (final.code !== 0) throw new Error(`the final worker failed (exit ${String(final.code)}): ${final.stderr.trim().slice(-500)}`);

    const statuses: Partial<Record<EventStatus, number>> = {};
    for (const status of ['succeeded', 'ignored', 'dead', 'retrying', 'queued', 'processing'] as const) {
      const count = await store.countEvents({ status });
      if (count > 0) statuses[status] = count;
    }
    const stages = await checkEffects(store, options.config.pipelines);
    const unfinished = Object.entries(statuses).filter(([status]) => !FINISHED.includes(status as EventStatus));
    const passed = unfinished.length === 0 && stages.every((s) => s.missing === 0 && s.duplicated === 0) && accepted === options.events;
    return { accepted, killed, statuses, stages, passed };
  } finally {
    await store.close();
  }
}

/** What the check of one stage found, in words. */
function checkedText(s: StageEffects): string {
  switch (s.method) {
    case 'none':
      return 'not checked (declare countEffects or reconcile)';
    case 'noEffects':
      return "no effects to check (effects: 'none')";
    case 'reconcile':
      return `${s.exactlyOnce} found, ${s.missing} missing (reconcile: existence only)`;
    case 'countEffects':
      return `${s.exactlyOnce} exactly once, ${s.missing} missing, ${s.duplicated} duplicated`;
  }
}

/** The report as a table a person reads. */
export function formatReport(report: VerifyReport): string[] {
  const lines: string[] = [];
  lines.push(
    `events: ${
      Object.entries(report.statuses)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ') || 'none'
    }`,
  );
  const rows = report.stages.map((s) => {
    const checked = checkedText(s);
    const examples = [
      ...(s.examples.missing.length ? [`missing: events ${s.examples.missing.join(', ')}`] : []),
      ...(s.examples.duplicated.length ? [`duplicated: events ${s.examples.duplicated.join(', ')}`] : []),
    ];
    return `  ${`${s.pipeline}/${s.stage}`.padEnd(40)} ${String(s.succeeded).padStart(5)} succeeded  ${checked}${examples.length ? `  (${examples.join('; ')})` : ''}`;
  });
  lines.push('effects per stage:', ...rows);
  lines.push(
    report.passed
      ? 'PASS: every delivery kept, every event finished, every checked effect exactly once'
      : 'FAIL: see the stages above (and `webpig events --db <scratch db>` for the events named)',
  );
  return lines;
}
