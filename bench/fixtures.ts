/**
 * What several benches need alike: a delivery of their own, the no-op pipeline, and a PostgreSQL schema of their
 * own for the run (created, handed over, dropped).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { pino } from 'pino';
import { definePipeline, type PipelineDefinition, type StageEffects } from '../src/core/pipeline.js';
import { createWorker } from '../src/engine/worker.js';
import type { NewEvent, Store } from '../src/store/store.js';

/** A bench delivery: source `bench`, no entity (so no ordering between events), id `<prefix>-<i>`. */
export const benchDelivery = (i: number, prefix: string): NewEvent => ({
  source: 'bench',
  providerEventId: `${prefix}-${i}`,
  entityKey: null,
  type: 'payment.updated',
  transactionStatus: 'accepted',
  occurredAt: new Date(),
  receivedAt: new Date(),
  rawBody: Buffer.from(`{"i":${i}}`),
  contentType: 'application/json',
  payload: { i },
  summary: {},
});

/** `n` bench deliveries `<prefix>-0` … `<prefix>-(n-1)`. */
export const benchDeliveries = (n: number, prefix: string): NewEvent[] => Array.from({ length: n }, (_, i) => benchDelivery(i, prefix));

/** A bench's own schema: its name, a URL that opens a store in it, the connection that made it. */
export interface BenchSchema {
  schema: string;
  schemaUrl: string;
  admin: pg.Client;
}

/** Runs `run` in a fresh schema `<prefix>_<random>` on `url`, and drops it afterwards, whatever happened. */
export async function withPostgresSchema<T>(url: string, prefix: string, run: (target: BenchSchema) => Promise<T>): Promise<T> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const schemaUrl = new URL(url);
    schemaUrl.searchParams.set('schema', schema);
    return await run({ schema, schemaUrl: schemaUrl.toString(), admin });
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

/** The middle value of `xs` (the upper one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A base and a branch measured by `round` in turns, `rounds` times each, after one warm-up
 * round each; the order swaps every round so neither side always runs second.
 */
export function alternatingRounds(rounds: number, round: (side: 'base' | 'branch') => number): { base: number[]; branch: number[] } {
  const took = { base: [] as number[], branch: [] as number[] };
  round('base');
  round('branch');
  for (let r = 0; r < rounds; r++) {
    const order: Array<'base' | 'branch'> = r % 2 === 0 ? ['base', 'branch'] : ['branch', 'base'];
    for (const side of order) took[side].push(round(side));
  }
  return took;
}

/**
 * The `--base` tree of a bench that compares this tree's module with an older one's: a checkout
 * of the base commit (e.g. `git worktree add --detach ../base <commit>`). Exits with a usage
 * line when it is missing: there is no base to guess on another machine.
 */
export function baseTree(base: string | undefined, usage: string): string {
  if (base !== undefined && existsSync(`${base}/src`)) return base.replace(/\/$/, '');
  console.error(`${base === undefined ? 'missing --base' : `--base ${base}: no src/ there`}; usage: ${usage}`);
  process.exit(2);
}

/** µs of this process's CPU (user + system) a run, over `count` runs of `work`. */
export function cpuMicrosEach(count: number, work: (i: number) => void): number {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/**
 * The report of a bench that ran a base and a branch in alternating rounds: the title with the
 * load average, each side's median and rounds in µs `per` (e.g. "a call"), and branch ÷ base.
 */
export function printBaseVsBranch(
  title: string,
  per: string,
  took: { base: number[]; branch: number[] },
  baseDir: string,
  options: { digits?: number; note?: string } = {},
): void {
  const digits = options.digits ?? 2;
  const [b, h] = [median(took.base), median(took.branch)];
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const rounds = (xs: number[]): string => xs.map((x) => x.toFixed(digits)).join(', ');
  console.log(`${title}, ${took.base.length} rounds alternating; load ${load}`);
  console.log(`  base (${baseDir}): ${b.toFixed(digits)} µs ${per} (rounds ${rounds(took.base)})`);
  console.log(`  branch (this tree):   ${h.toFixed(digits)} µs ${per} (rounds ${rounds(took.branch)})`);
  console.log(`  branch ÷ base: ${(h / b).toFixed(2)}${options.note ? `   (${options.note})` : ''}`);
}

/** A process's CPU from /proc/PID/stat, in seconds: its own, and that of its children it has reaped. */
export interface ProcessCpu {
  /** The command's name (`comm`, at most 15 characters). */
  command: string;
  user: number;
  system: number;
  /** User + system time of the children this process has waited for (an exited backend, for the postmaster). */
  children: number;
}

/** Ticks are USER_HZ, 100 a second on Linux. */
const TICKS_A_SECOND = 100;

/** `pid`'s CPU so far (Linux); null where /proc cannot be read or the process has ended. */
export function processCpu(pid: number | string): ProcessCpu | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command sits in parentheses and may hold spaces; the fields after it are fixed.
  const close = stat.lastIndexOf(')');
  // utime, stime, cutime, cstime: fields 14 to 17 of stat, 11 to 14 after the command.
  const [user, system, childrenUser, childrenSystem] = stat
    .slice(close + 2)
    .split(' ')
    .slice(11, 15)
    .map((ticks) => Number(ticks) / TICKS_A_SECOND);
  return {
    command: stat.slice(stat.indexOf('(') + 1, close),
    user: user ?? 0,
    system: system ?? 0,
    children: (childrenUser ?? 0) + (childrenSystem ?? 0),
  };
}

/**
 * CPU seconds (user + system) used so far by this machine's PostgreSQL server processes (the
 * postmaster, its backends, the WAL writer…): what the database spends on a run, beside the
 * bench's own process.cpuUsage(). Null where it cannot be read — not Linux, or no `postgres`
 * process visible (a server on another machine or in another PID namespace). A backend that
 * has exited is counted too: the postmaster reaped it, and the kernel added its CPU to the
 * postmaster's children's times.
 */
export function postgresCpuSeconds(): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let seconds = 0;
  let seen = false;
  for (const pid of pids) {
    const cpu = processCpu(pid); // null: the process ended while the list was read
    if (cpu === null || !cpu.command.startsWith('postgres')) continue;
    seconds += cpu.user + cpu.system + cpu.children;
    seen = true;
  }
  return seen ? seconds : null;
}

/** The peers' and the pipeline benchmark's shape: `stages` no-op stages, each after the one before, declared with `effects`. */
export function noOpPipeline(stages: number, effects: StageEffects): PipelineDefinition {
  return definePipeline({
    name: 'bench',
    match: () => true,
    stages: Array.from({ length: stages }, (_, i) => ({
      name: `stage_${i + 1}`,
      dependsOn: i === 0 ? [] : [`stage_${i}`],
      effects,
      run: async () => ({ ok: true }),
    })),
  });
}

/**
 * Inserts `events` bench deliveries (not timed), then times a worker of `concurrency` on
 * `pipeline` from its start until every event has succeeded (any other outcome throws), and
 * checks the store agrees. `beforeStart` runs just before the clock starts; `measure` starts
 * its own readings with the clock and returns what reads them when the last event is done.
 */
export async function timeWorkerToAllSucceeded<T>(
  store: Store,
  pipeline: PipelineDefinition,
  options: { events: number; concurrency: number; beforeStart?: () => Promise<void>; measure?: () => () => T },
): Promise<{ seconds: number; measured: T | undefined }> {
  const { events } = options;
  const all = benchDeliveries(events, 'bench');
  for (let i = 0; i < all.length; i += 1000) await store.insertEvents(all.slice(i, i + 1000));
  let finished = 0;
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (done = resolve));
  const worker = createWorker({
    store,
    pipelines: [pipeline],
    concurrency: options.concurrency,
    logger: pino({ level: 'silent' }),
    onResult: (_event, result) => {
      if (result.status !== 'succeeded') throw new Error(`bench event ended ${result.status}`);
      finished += 1;
      if (finished === events) done();
    },
  });
  await options.beforeStart?.();
  const started = performance.now();
  const read = options.measure?.();
  worker.start();
  await allDone;
  const seconds = (performance.now() - started) / 1000;
  const measured = read?.();
  await worker.stop();
  const succeeded = await store.countEvents({ status: 'succeeded' });
  if (succeeded !== events) throw new Error(`expected ${events} succeeded events, found ${succeeded}`);
  return { seconds, measured };
}
