/**
 * Pipeline benchmark: `node --import tsx bench/pipeline.ts [--events N] [--only sqlite|postgres]
 * [--concurrency C] [--effects external|none|both]`.
 *
 * N events (Default: 10_000) go through a 10-stage pipeline of no-op stages with the real
 * worker, on SQLite (a file; WAL: every commit is fsync'ed before anyone is told of it, the
 * worker's off the event loop) and on PostgreSQL
 * ($WEBPIG_TEST_POSTGRES_URL, a fresh schema; synchronous_commit as the server has it, on by
 * default). Printed: events/s and stage checkpoints/s, and beside them, in the same run and the
 * same database, a baseline: N plain single-row inserts, each its own durable commit (a table of
 * the benchmark's own, through raw connections): on PostgreSQL from as many connections as the
 * concurrency, on SQLite from one (SQLite takes one writer at a time, so more add nothing).
 *
 * What one event costs: a claim, then per stage one commit (its `processing` mark, carrying the
 * previous stage's outcome), and the last outcome with the finish: 12 commits for 10 stages
 * (it was 22: 2 a stage). With several events in flight the worker group-commits their writes,
 * so one commit carries several events' checkpoints and the ratio can pass 1/12.
 *
 * `--effects` (Default: both, one after the other, each on a fresh store): the no-op stages
 * declared as stages with effects (the default: each one's `processing` mark durable before it
 * runs) or as stages without effects (`effects: 'none'`: no mark of their own on a first claim,
 * every outcome with the finish: one flushed commit an event besides the claim's, which is not
 * flushed on its own).
 *
 * Also printed: the share of the run the event loop was busy (an fsync inside COMMIT blocks
 * it; one on the thread pool does not) and the process CPU an event; on PostgreSQL, the
 * server's CPU an event too (its processes on this machine, from /proc), since on a machine
 * with few CPUs the two together bound the rate.
 */
import { randomBytes } from 'node:crypto';
import { performance as perfHooks } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { PipelineDefinition, StageEffects } from '../src/core/pipeline.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { noOpPipeline, postgresCpuSeconds, timeWorkerToAllSucceeded } from './fixtures.js';

const STAGES = 10;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const events = Number(arg('events') ?? 10_000);
const only = arg('only');
const concurrency = Number(arg('concurrency') ?? 4);
const effectsArg = arg('effects') ?? 'both';
if (
  !Number.isInteger(events) ||
  events < 1 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !['external', 'none', 'both'].includes(effectsArg)
) {
  console.error('usage: bench/pipeline.ts [--events N] [--only sqlite|postgres] [--concurrency C] [--effects external|none|both]');
  process.exit(2);
}
const variants: StageEffects[] = effectsArg === 'both' ? ['external', 'none'] : [effectsArg as StageEffects];

interface Figures {
  seconds: number;
  /** Share of the run the event loop was busy (a commit's fsync inside COMMIT counts as busy). */
  loopBusy: number;
  /** Process CPU (user + system) an event, in ms. */
  cpuMsPerEvent: number;
  /** The PostgreSQL server's CPU an event, in ms (its processes on this machine); null for SQLite or when unreadable. */
  serverCpuMsPerEvent: number | null;
  eventsPerSecond: number;
  checkpointsPerSecond: number;
}

/** Inserts the events (not timed), then times the worker until every event has succeeded. */
async function runPipeline(store: Store, pipeline: PipelineDefinition): Promise<Figures> {
  const { seconds, measured } = await timeWorkerToAllSucceeded(store, pipeline, {
    events,
    concurrency,
    measure: () => {
      const elu = perfHooks.eventLoopUtilization();
      const cpu = process.cpuUsage();
      const serverCpu = store instanceof PostgresStore ? postgresCpuSeconds() : null;
      return () => {
        const cpuUsed = process.cpuUsage(cpu);
        const serverCpuAfter = serverCpu === null ? null : postgresCpuSeconds();
        return {
          loopBusy: perfHooks.eventLoopUtilization(elu).utilization,
          cpuMsPerEvent: (cpuUsed.user + cpuUsed.system) / 1000 / events,
          serverCpuMsPerEvent: serverCpu === null || serverCpuAfter === null ? null : ((serverCpuAfter - serverCpu) * 1000) / events,
        };
      };
    },
  });
  return {
    seconds,
    ...measured!,
    eventsPerSecond: events / seconds,
    checkpointsPerSecond: (events * STAGES) / seconds,
  };
}

/** What an event costs with the stages declared so: its flushed commits when it runs alone. */
const PROTOCOL: Record<StageEffects, string> = {
  external: 'each stage marked before it runs: 11 flushed commits an event alone; ratios 0.091 and 0.909',
  none: "effects: 'none', no marks: every outcome with the finish, 1 flushed commit an event alone",
};

function report(name: string, durability: string, effects: StageEffects, figures: Figures, baselinePerSecond: number): void {
  const f = (n: number): string => n.toFixed(0).padStart(8);
  console.log(`\n${name} (${durability}), ${events} events × ${STAGES} stages, concurrency ${concurrency}`);
  console.log(`  stages:    ${PROTOCOL[effects]}`);
  console.log(
    `  pipeline:  ${f(figures.eventsPerSecond)} events/s   ${f(figures.checkpointsPerSecond)} checkpoints/s   (${figures.seconds.toFixed(1)} s)`,
  );
  console.log(
    `  loop:      busy ${(figures.loopBusy * 100).toFixed(0)}% of the run, CPU ${figures.cpuMsPerEvent.toFixed(2)} ms an event` +
      (figures.serverCpuMsPerEvent === null ? '' : `; PostgreSQL server CPU ${figures.serverCpuMsPerEvent.toFixed(2)} ms an event`) +
      `   (load ${loadavg()
        .map((v) => v.toFixed(1))
        .join(' ')})`,
  );
  console.log(`  baseline:  ${f(baselinePerSecond)} single-row durable inserts/s`);
  console.log(
    `  ratio:     events/s ÷ inserts/s = ${(figures.eventsPerSecond / baselinePerSecond).toFixed(3)}` +
      `   checkpoints/s ÷ inserts/s = ${(figures.checkpointsPerSecond / baselinePerSecond).toFixed(3)}` +
      '   (group commit goes past one event alone)',
  );
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-'));
  try {
    const measured: [StageEffects, Figures][] = [];
    for (const effects of variants) {
      const store = SqliteStore.open(`sqlite:${join(dir, `bench-${effects}.db`)}`);
      await store.migrate();
      measured.push([effects, await runPipeline(store, noOpPipeline(STAGES, effects))]);
      await store.close();
    }

    // Baseline: a file of the same directory, the same pragmas as the store; one commit per row.
    const db = new Database(join(dir, 'baseline.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO bench_baseline (payload) VALUES (?)');
    const started = performance.now();
    for (let i = 0; i < events; i++) insert.run(`{"i":${i}}`);
    const baseline = events / ((performance.now() - started) / 1000);
    db.close();
    for (const [effects, figures] of measured) {
      report('SQLite', 'file, WAL; every commit fsynced before it is reported', effects, figures, baseline);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<void> {
  const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `webpig_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
  } catch (err) {
    console.log(`\nPostgreSQL: skipped, not reachable at ${url.replace(/:[^:@/]*@/, ':***@')} (${String(err)})`);
    return;
  }
  try {
    const sync = (await admin.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit;
    const fsync = (await admin.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync;
    const measured: [StageEffects, Figures][] = [];
    for (const effects of variants) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.query(`CREATE SCHEMA "${schema}"`);
      const store = await PostgresStore.open(url, { schema });
      await store.migrate();
      measured.push([effects, await runPipeline(store, noOpPipeline(STAGES, effects))]);
      await store.close();
    }

    // Baseline: the same database, `concurrency` connections, one autocommitted insert each.
    await admin.query(`CREATE TABLE "${schema}".bench_baseline (id bigserial PRIMARY KEY, payload text NOT NULL)`);
    const clients = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return client;
      }),
    );
    let next = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (next < events) {
          const i = next++;
          await client.query(`INSERT INTO "${schema}".bench_baseline (payload) VALUES ($1)`, [`{"i":${i}}`]);
        }
      }),
    );
    const baseline = events / ((performance.now() - started) / 1000);
    await Promise.all(clients.map((c) => c.end()));
    for (const [effects, figures] of measured)
      report('PostgreSQL', `synchronous_commit=${sync}, fsync=${fsync}`, effects, figures, baseline);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (only !== 'postgres') await benchSqlite();
if (only !== 'sqlite') await benchPostgres();
