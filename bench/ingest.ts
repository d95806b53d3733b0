/**
 * Ingestion throughput: webpig's real webhook endpoint (signature check + group commit to a
 * SQLite file with WAL and synchronous=FULL, reply after the commit) beside a bare node:http
 * handler that reads the same body and answers 200 without verifying or storing — in the
 * same run, on the same machine, with the same load.
 *
 *   node --import tsx bench/ingest.ts [--duration 10] [--rounds 5] [--connections 64] [--window-ms 0]
 *                                     [--concurrent-batches N] [--cpu-prof DIR]
 *
 * Each server runs in its own child process; autocannon runs here and signs a distinct
 * ~1.5 KB custom-source delivery for every request (so none is a duplicate).
 * `--concurrent-batches N` sets the group commit's batches in flight (default: the ingest plugin's).
 * `--cpu-prof DIR` runs the webpig server under `node --cpu-prof` and leaves its profile
 * (a .cpuprofile, for Chrome DevTools or bench/cpu-profile.ts) in DIR.
 *
 * It also prints each server's CPU a request over the measured rounds (warm-up and start-up
 * left out) and their ratio: on a shared machine that moves much less than req/s, and it is
 * the req/s ratio the CPU allows when each server has a core of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { installErrorHandler } from '../src/server/http-errors.js';
import { parseSourceConfigs } from '../src/config/resolve.js';
import { ingestPlugin } from '../src/server/ingest/plugin.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { serverStats } from './server-stats.js';
import { BENCH_SOURCE, loadWithSignedDeliveries, type AutocannonResult } from './signed-load.js';

// ── Child roles ─────────────────────────────────────────────────────────────────────────────

async function serveWebpig(dbFile: string, windowMs: number, batches: number | undefined): Promise<void> {
  const stats = serverStats();
  const concurrentBatches = batches === undefined ? {} : { concurrentBatches: batches };
  const store = SqliteStore.open(`sqlite:${dbFile}`);
  await store.migrate();
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  await app.register(ingestPlugin, {
    store,
    sources: parseSourceConfigs([BENCH_SOURCE]),
    groupCommit: { windowMs, ...concurrentBatches, onBatch: (size, durationMs) => stats.record(size, durationMs) },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  reportCpuOnSignal(() => stats.deliveries());
  // Exit on SIGTERM (instead of dying from it) so that --cpu-prof writes its profile.
  process.once(
    'SIGTERM',
    () =>
      void app.close().then(() => {
        process.stderr.write(`webpig server: ${stats.describe()}\n`);
        process.exit(0);
      }),
  );
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const synchronous = store.database.pragma('synchronous', { simple: true });
  const journal = store.database.pragma('journal_mode', { simple: true });
  process.stdout.write(`${JSON.stringify({ port: address.port, synchronous, journal })}\n`);
}

function serveBare(): void {
  let answered = 0;
  reportCpuOnSignal(() => answered);
  const server = createServer((request, response) => {
    answered++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      response.writeHead(200, { 'content-type': 'application/json' }).end(`{"received":${body.length}}`);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
}

/** On SIGUSR2 a child writes its CPU time so far and the requests it served, as one JSON line. */
interface CpuSnapshot {
  cpuMs: number;
  requests: number;
}
function reportCpuOnSignal(requests: () => number): void {
  process.on('SIGUSR2', () => {
    const cpu = process.cpuUsage();
    const snapshot: CpuSnapshot = { cpuMs: (cpu.user + cpu.system) / 1000, requests: requests() };
    process.stdout.write(`${JSON.stringify(snapshot)}\n`);
  });
}

// ── Driver ──────────────────────────────────────────────────────────────────────────────────

interface Child {
  process: ChildProcess;
  info: { port: number; synchronous?: number; journal?: string };
  /** The child's next line on stdout (its CpuSnapshot after a SIGUSR2). */
  nextLine: () => Promise<string>;
}

async function startChild(args: string[], nodeOptions: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`benchmark server exited with ${String(code)}`)));
    });
  const info = JSON.parse(await nextLine()) as Child['info'];
  return { process: child, info, nextLine };
}

async function cpuSnapshot(child: Child): Promise<CpuSnapshot> {
  const line = child.nextLine();
  child.process.kill('SIGUSR2');
  return JSON.parse(await line) as CpuSnapshot;
}

/** ms of the child's CPU a request between two snapshots. */
function cpuPerRequest(from: CpuSnapshot, to: CpuSnapshot): number {
  return (to.cpuMs - from.cpuMs) / Math.max(1, to.requests - from.requests);
}

async function stopChild(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

interface Summary {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  notOk: number;
  errors: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** All rounds of one server: requests/s over the whole time; latency percentiles as the median round's. */
function summarize(rounds: AutocannonResult[]): Summary {
  const seconds = rounds.reduce((sum, r) => sum + r.duration, 0);
  const ok = rounds.reduce((sum, r) => sum + r['2xx'], 0);
  return {
    requestsPerSecond: ok / seconds,
    p50: median(rounds.map((r) => r.latency.p50)),
    p99: median(rounds.map((r) => r.latency.p99)),
    ok,
    notOk: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

function describeRun(name: string, summary: Summary): string {
  return (
    `${name.padEnd(38)} ${summary.requestsPerSecond.toFixed(0).padStart(7)} req/s   ` +
    `p50 ${String(summary.p50).padStart(4)} ms   p99 ${String(summary.p99).padStart(4)} ms   ` +
    `2xx ${summary.ok}  non-2xx ${summary.notOk}  errors ${summary.errors}`
  );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '64' },
      'window-ms': { type: 'string', default: '0' },
      'concurrent-batches': { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const windowMs = Number(values['window-ms']);
  const batchesOption = values['concurrent-batches'];
  const concurrentBatches = batchesOption === undefined ? undefined : Number(batchesOption);
  if (positionals[0] === 'serve-webpig') return serveWebpig(positionals[1] ?? '', windowMs, concurrentBatches);
  if (positionals[0] === 'serve-bare') return serveBare();

  const duration = Number(values.duration);
  const rounds = Math.max(1, Number(values.rounds));
  const roundSeconds = Math.max(1, Math.round(duration / rounds));
  const connections = Number(values.connections);
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-ingest-'));
  const dbFile = join(dir, 'bench.db');
  const loadAverage = () =>
    loadavg()
      .map((value) => value.toFixed(1))
      .join(' ');
  try {
    console.log(
      `ingest benchmark: ${connections} connections, no pipelining, ${rounds} alternating rounds of ${roundSeconds} s ` +
        `per server, ~1.5 KB signed bodies, each request a new event`,
    );
    // Both servers and the load generator share these CPUs, and other work on the machine
    // moves both figures: alternating short rounds exposes both servers to the same conditions.
    console.log(`machine: ${availableParallelism()} CPUs, load average ${loadAverage()}`);
    const bare = await startChild(['serve-bare']);
    const profileDir = values['cpu-prof'];
    const webpig = await startChild(
      [
        'serve-webpig',
        dbFile,
        '--window-ms',
        String(windowMs),
        ...(batchesOption === undefined ? [] : ['--concurrent-batches', batchesOption]),
      ],
      profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir],
    );
    // One discarded second each: the children compile TypeScript and warm up their JIT first.
    await loadWithSignedDeliveries(bare.info.port, connections, 1);
    await loadWithSignedDeliveries(webpig.info.port, connections, 1);
    const [bareCpuFrom, webpigCpuFrom] = [await cpuSnapshot(bare), await cpuSnapshot(webpig)];
    const bareRounds: AutocannonResult[] = [];
    const webpigRounds: AutocannonResult[] = [];
    for (let round = 1; round <= rounds; round++) {
      const bareRound = await loadWithSignedDeliveries(bare.info.port, connections, roundSeconds);
      const webpigRound = await loadWithSignedDeliveries(webpig.info.port, connections, roundSeconds);
      bareRounds.push(bareRound);
      webpigRounds.push(webpigRound);
      console.log(
        `  round ${round}: bare ${bareRound.requests.average.toFixed(0)} req/s, webpig ${webpigRound.requests.average.toFixed(0)} req/s ` +
          `(ratio ${(webpigRound.requests.average / bareRound.requests.average).toFixed(2)})`,
      );
    }
    const [bareCpu, webpigCpu] = [
      cpuPerRequest(bareCpuFrom, await cpuSnapshot(bare)),
      cpuPerRequest(webpigCpuFrom, await cpuSnapshot(webpig)),
    ];
    await stopChild(bare);
    await stopChild(webpig);

    const store = SqliteStore.open(`sqlite:${dbFile}`);
    const stored = await store.countEvents({});
    await store.close();

    const bareSummary = summarize(bareRounds);
    const webpigSummary = summarize(webpigRounds);
    console.log(describeRun('bare node:http (read body, 200)', bareSummary));
    console.log(describeRun('webpig POST /webhooks (verify + commit)', webpigSummary));
    const ratios = webpigRounds.map((r, i) => r.requests.average / (bareRounds[i]?.requests.average ?? Number.NaN));
    console.log(
      `ratio webpig/bare: ${(webpigSummary.requestsPerSecond / bareSummary.requestsPerSecond).toFixed(2)} overall, ` +
        `${median(ratios).toFixed(2)} median of rounds ` +
        `(SQLite journal=${webpig.info.journal}, synchronous=${webpig.info.synchronous === 2 ? 'FULL' : String(webpig.info.synchronous)}, ` +
        `group-commit window ${windowMs} ms, ${batchesOption ?? 'default'} batches in flight)`,
    );
    console.log(
      `server CPU a request over the rounds: webpig ${webpigCpu.toFixed(3)} ms, bare ${bareCpu.toFixed(3)} ms ` +
        `(bare ÷ webpig ${(bareCpu / webpigCpu).toFixed(2)}: the req/s ratio their CPU allows, each server on a core of its own)`,
    );
    console.log(`events stored: ${stored}; 2xx replies: ${webpigSummary.ok} (every 2xx is a stored event)`);
    console.log(`load average after the run: ${loadAverage()}`);
    if (stored < webpigSummary.ok) throw new Error('fewer events stored than acknowledged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
