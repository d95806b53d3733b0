/**
 * webpig beside its peers, in one run on the local PostgreSQL ($WEBPIG_TEST_POSTGRES_URL):
 *
 *   npm run bench:peers -- [--events 2000] [--concurrency 4,32] [--rounds 3] [--round-seconds 3]
 *                          [--connections 64] [--only pipeline|ingest] [--cpu-prof DIR]
 *
 * 1. Pipeline: webpig's 10-stage no-op pipeline (bench/peers/pipelines.ts) vs DBOS Transact
 *    (one workflow, ten `runStep` no-op steps), same events, same concurrency, same pool size;
 *    webpig's stages declared with effects (the default) and without (`effects: 'none'`).
 * 2. Ingestion: webpig's endpoint (PostgreSQL and SQLite) vs pg-boss `send` (singletonKey) and
 *    graphile-worker `addJob` (jobKey) behind one node:http handler with webpig's HMAC check,
 *    and a bare handler; servers in child processes, autocannon here, rounds alternate.
 * Durability: PostgreSQL as the server is set (synchronous_commit printed); SQLite WAL with
 * synchronous=FULL. Every figure is printed with its ratio and the load average beside it.
 * `--cpu-prof DIR` runs webpig's two ingestion servers under `node --cpu-prof` (profiles in
 * DIR; read them with bench/cpu-profile.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { peersSchema, serve, SERVER_KINDS, type ServerKind } from './peers/ingest-servers.js';
import { loadWithSignedDeliveries, type AutocannonResult } from './signed-load.js';
import { dbosPipeline, launchDbos, POOL_SIZE, shutdownDbos, STAGES, webpigPipelineCounted } from './peers/pipelines.js';
import { postgresCpuSeconds } from './fixtures.js';
import type { StageEffects } from '../src/core/pipeline.js';

/** How webpig's stages were declared, as the report says it. */
// A DBOS step records its output after it ran and one cut off by a crash runs again ("steps get
// at-least-once guarantees", docs.dbos.dev, Concurrent Executions): no mark before it either.
const EFFECTS_LABEL: Record<StageEffects, string> = {
  external: 'with effects (the default: each marked durably before it runs)',
  none: "declared effects: 'none' (no marks; like a DBOS step, run again after a crash)",
};

const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

/** User + system CPU of this process between two readings, in ms an event (PostgreSQL's own CPU is not in it). */
const cpuMsPerEvent = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage, events: number): string =>
  ((to.user - from.user + to.system - from.system) / 1000 / events).toFixed(2);

/** The PostgreSQL server's CPU between two readings (postgresCpuSeconds), in ms an event; `?` when unreadable. */
const serverMsPerEvent = (from: number | null, to: number | null, events: number): string =>
  from === null || to === null ? '?' : (((to - from) * 1000) / events).toFixed(2);

async function benchPipelines(events: number, concurrencies: number[]): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const sync = (await admin.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit;
  await admin.end();
  console.log(`\npipeline: ${events} events × ${STAGES} no-op stages, PostgreSQL synchronous_commit=${sync}, pool ${POOL_SIZE} each`);
  await launchDbos(url);
  try {
    for (const concurrency of concurrencies) {
      const before = load();
      const webpig: { effects: StageEffects; rate: number; commitsPerEvent: number; cpu: string; server: string }[] = [];
      for (const effects of ['external', 'none'] as const) {
        const [cpuBefore, serverBefore] = [process.cpuUsage(), postgresCpuSeconds()];
        const run = await webpigPipelineCounted(url, events, concurrency, effects);
        const [cpuAfter, serverAfter] = [process.cpuUsage(), postgresCpuSeconds()];
        webpig.push({
          effects,
          ...run,
          cpu: cpuMsPerEvent(cpuBefore, cpuAfter, events),
          server: serverMsPerEvent(serverBefore, serverAfter, events),
        });
      }
      const [cpuBefore, serverBefore] = [process.cpuUsage(), postgresCpuSeconds()];
      const dbos = await dbosPipeline(events, concurrency, `c${concurrency}-${randomUUID().slice(0, 8)}`);
      const [cpuAfter, serverAfter] = [process.cpuUsage(), postgresCpuSeconds()];
      console.log(
        `  concurrency ${String(concurrency).padStart(2)}: DBOS ${dbos.toFixed(0).padStart(5)} workflows/s; ` +
          `CPU an event: this process ${cpuMsPerEvent(cpuBefore, cpuAfter, events)} ms, PostgreSQL server ${serverMsPerEvent(serverBefore, serverAfter, events)} ms`,
      );
      for (const w of webpig) {
        console.log(
          `    webpig, stages ${EFFECTS_LABEL[w.effects]}: ${w.rate.toFixed(0).padStart(5)} events/s ` +
            `(${w.commitsPerEvent.toFixed(1)} commits an event, reads included)   ratio webpig/DBOS ${(w.rate / dbos).toFixed(2)}   ` +
            `CPU an event (setup included): this process ${w.cpu} ms, PostgreSQL server ${w.server} ms`,
        );
      }
      console.log(`    (load ${before} → ${load()})`);
    }
  } finally {
    await shutdownDbos(url);
  }
}

interface Child {
  process: ChildProcess;
  port: number;
}

async function startChild(kind: ServerKind, schema: string, profileDir: string | undefined): Promise<Child> {
  const profile = profileDir !== undefined && kind.startsWith('webpig') ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), 'serve', kind, schema], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${String(code)}`)));
  });
  return { process: child, port };
}

async function stopChild(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function benchIngest(rounds: number, roundSeconds: number, connections: number, profileDir?: string): Promise<void> {
  console.log(
    `\ningestion: ${connections} connections, ${rounds} alternating rounds of ${roundSeconds} s per server, ~1.5 KB signed bodies`,
  );
  const schemas = new Map(SERVER_KINDS.map((kind) => [kind, peersSchema(kind)]));
  const children = new Map<ServerKind, Child>();
  const results = new Map<ServerKind, AutocannonResult[]>(SERVER_KINDS.map((kind) => [kind, []]));
  try {
    for (const kind of SERVER_KINDS) children.set(kind, await startChild(kind, schemas.get(kind)!, profileDir));
    for (const child of children.values()) await loadWithSignedDeliveries(child.port, connections, 1); // warm-up, discarded
    for (let round = 0; round < rounds; round++) {
      for (const [kind, child] of children) results.get(kind)!.push(await loadWithSignedDeliveries(child.port, connections, roundSeconds));
    }
  } finally {
    for (const child of children.values()) await stopChild(child);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    for (const schema of schemas.values()) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
  const rate = (kind: ServerKind): number => {
    const list = results.get(kind)!;
    return list.reduce((s, r) => s + r['2xx'], 0) / list.reduce((s, r) => s + r.duration, 0);
  };
  const bare = rate('bare');
  const pgboss = rate('pgboss');
  for (const kind of SERVER_KINDS) {
    const list = results.get(kind)!;
    const bad = list.reduce((s, r) => s + r.non2xx + r.errors, 0);
    console.log(
      `  ${kind.padEnd(16)} ${rate(kind).toFixed(0).padStart(6)} req/s   p50 ${String(median(list.map((r) => r.latency.p50))).padStart(3)} ms   ` +
        `p99 ${String(median(list.map((r) => r.latency.p99))).padStart(4)} ms   ÷bare ${(rate(kind) / bare).toFixed(2)}   ` +
        `÷pg-boss ${(rate(kind) / pgboss).toFixed(2)}   non-2xx/errors ${bad}`,
    );
  }
  console.log(`  load average after: ${load()}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      events: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '4,32' },
      rounds: { type: 'string', default: '3' },
      'round-seconds': { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  if (positionals[0] === 'serve') return serve(positionals[1] as ServerKind, url, positionals[2] ?? '');
  console.log(`webpig vs peers, ${new Date().toISOString()}, load average ${load()}`);
  if (values.only !== 'ingest') {
    await benchPipelines(Number(values.events), (values.concurrency ?? '4,32').split(',').map(Number));
  }
  if (values.only !== 'pipeline') {
    await benchIngest(Number(values.rounds), Number(values['round-seconds']), Number(values.connections), values['cpu-prof']);
  }
}

main().then(
  () => undefined,
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
