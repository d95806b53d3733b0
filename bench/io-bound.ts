/**
 * Stages that wait on the network, and idle latency:
 *
 *   node --import tsx bench/io-bound.ts [--events 400] [--concurrency 4,16,64,128] [--samples 100]
 *
 * 1. One worker, a 5-stage pipeline whose stages each wait 50 ms (an HTTP call's worth), on
 *    PostgreSQL ($WEBPIG_TEST_POSTGRES_URL): events/s per worker concurrency, beside the ideal
 *    (concurrency ÷ 0.25 s: what pure waiting allows).
 * 2. Four worker processes vs one (each at concurrency 4) on the same queue: the speed-up.
 * 3. Idle latency: one event at a time into an idle worker (SQLite file with WAL +
 *    synchronous=FULL, and PostgreSQL): receipt (the insert's start) → first stage start, p50/p99.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { definePipeline, type PipelineDefinition } from '../src/core/pipeline.js';
import { createWorker } from '../src/engine/worker.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { benchDelivery, withPostgresSchema } from './fixtures.js';

const STAGES = 5;
const WAIT_MS = 50;
const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function waitingPipeline(onFirstStage: () => void = () => undefined): PipelineDefinition {
  return definePipeline({
    name: 'io',
    match: () => true,
    stages: Array.from({ length: STAGES }, (_, i) => ({
      name: `call_${i + 1}`,
      dependsOn: i === 0 ? [] : [`call_${i}`],
      run: async () => {
        if (i === 0) onFirstStage();
        await sleep(WAIT_MS);
        return { ok: true };
      },
    })),
  });
}

const withSchema = <T>(run: (schemaUrl: string) => Promise<T>): Promise<T> =>
  withPostgresSchema(url, 'webpig_io', ({ schemaUrl }) => run(schemaUrl));

async function seed(store: Store, events: number, prefix: string): Promise<void> {
  const all = Array.from({ length: events }, (_, i) => benchDelivery(i, prefix));
  for (let i = 0; i < all.length; i += 500) await store.insertEvents(all.slice(i, i + 500));
}

/** Runs a worker until no event is left unfinished; returns the seconds it took. */
async function drain(store: Store, concurrency: number): Promise<number> {
  const worker = createWorker({ store, pipelines: [waitingPipeline()], concurrency, pollMs: 50, logger: pino({ level: 'silent' }) });
  const started = performance.now();
  worker.start();
  while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  await worker.stop();
  return seconds;
}

async function concurrencySweep(events: number, concurrencies: number[]): Promise<void> {
  console.log(`\n1. one worker, ${STAGES} stages of ${WAIT_MS} ms each, ${events} events, PostgreSQL`);
  for (const concurrency of concurrencies) {
    const before = load();
    const rate = await withSchema(async (schemaUrl) => {
      const store = await openStore(schemaUrl);
      try {
        await store.migrate();
        await seed(store, events, 'sweep');
        return events / (await drain(store, concurrency));
      } finally {
        await store.close();
      }
    });
    const ideal = concurrency / ((STAGES * WAIT_MS) / 1000);
    console.log(
      `   concurrency ${String(concurrency).padStart(3)}: ${rate.toFixed(0).padStart(5)} events/s   ideal ${ideal.toFixed(0).padStart(5)}   ` +
        `÷ideal ${(rate / ideal).toFixed(2)}   (load ${before} → ${load()})`,
    );
  }
}

/** The queue is empty: nothing queued, processing or retrying. */
async function waitUntilDrained(store: Store): Promise<void> {
  while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) await sleep(20);
}

/**
 * Starts `count` worker processes, waits until each is ready, then times them draining the
 * queue. Only this process watches the queue (one count every 20 ms): when each worker polled
 * it too, four workers sent four times the counts, and the bench measured its own load.
 * Returns the seconds and the CPU seconds the workers used (user + system, all of them).
 */
async function workerProcesses(schemaUrl: string, count: number, concurrency: number): Promise<{ seconds: number; cpuSeconds: number }> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'work', schemaUrl, String(concurrency)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const lines = children.map((child) => {
    const received: string[] = [];
    let waiting: ((line: string) => void) | null = null;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        if (waiting) {
          waiting(line);
          waiting = null;
        } else received.push(line);
      }
    });
    return (): Promise<string> => new Promise((resolve) => (received.length > 0 ? resolve(received.shift()!) : (waiting = resolve)));
  });
  const exited = children.map(
    (child) =>
      new Promise<void>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${String(code)}`)))),
      ),
  );
  await Promise.all(lines.map((next) => next())); // "ready"
  const watcher = await openStore(schemaUrl);
  const started = performance.now();
  for (const child of children) child.stdin.write('go\n');
  await waitUntilDrained(watcher);
  const seconds = (performance.now() - started) / 1000;
  await watcher.close();
  for (const child of children) child.stdin.end('stop\n');
  const cpu = await Promise.all(lines.map(async (next) => (JSON.parse(await next()) as { cpuSeconds: number }).cpuSeconds));
  await Promise.all(exited);
  return { seconds, cpuSeconds: cpu.reduce((a, b) => a + b, 0) };
}

/** A worker process of part 2: starts its worker on "go", stops it on "stop", prints its CPU seconds. */
async function workInChild(schemaUrl: string, concurrency: number): Promise<void> {
  const store = await openStore(schemaUrl);
  const lines: string[] = [];
  let onLine: (() => void) | null = null;
  let buffered = '';
  process.stdin.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
      onLine?.();
    }
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve) => {
      if (lines.length > 0) return resolve(lines.shift()!);
      onLine = () => {
        onLine = null;
        resolve(lines.shift()!);
      };
    });
  process.stdout.write('ready\n');
  await nextLine(); // go
  const cpuBefore = process.cpuUsage();
  const worker = createWorker({ store, pipelines: [waitingPipeline()], concurrency, pollMs: 50, logger: pino({ level: 'silent' }) });
  worker.start();
  await nextLine(); // stop
  await worker.stop();
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(`${JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
  await store.close();
}

async function processScaling(events: number): Promise<void> {
  console.log(`\n2. worker processes on one PostgreSQL queue, each at concurrency 4, ${events} events, ${STAGES} × ${WAIT_MS} ms stages`);
  const rates: number[] = [];
  for (const count of [1, 4]) {
    const before = load();
    const { seconds, cpuSeconds } = await withSchema(async (schemaUrl) => {
      const store = await openStore(schemaUrl);
      await store.migrate();
      await seed(store, events, 'procs');
      await store.close();
      return workerProcesses(schemaUrl, count, 4);
    });
    const rate = events / seconds;
    rates.push(rate);
    console.log(
      `   ${count} process${count > 1 ? 'es' : ''}: ${rate.toFixed(0).padStart(5)} events/s   ideal ${((count * 4) / ((STAGES * WAIT_MS) / 1000)).toFixed(0)}   ` +
        `worker CPU ${((cpuSeconds / events) * 1000).toFixed(1)} ms an event   (load ${before} → ${load()}; timed from a go signal to ready processes)`,
    );
  }
  console.log(`   speed-up 4 vs 1: ${((rates[1] ?? 0) / (rates[0] ?? 1)).toFixed(2)}×`);
}

async function idleLatency(name: string, storeUrl: string, samples: number): Promise<void> {
  const store = await openStore(storeUrl);
  try {
    await store.migrate();
    let firstStage: () => void = () => undefined;
    const worker = createWorker({
      store,
      pipelines: [waitingPipeline(() => firstStage())],
      concurrency: 4,
      logger: pino({ level: 'silent' }),
    });
    worker.start();
    await sleep(200);
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const started = new Promise<number>((resolve) => (firstStage = () => resolve(performance.now())));
      const receipt = performance.now();
      await store.insertEvent(benchDelivery(i, `idle-${randomBytes(3).toString('hex')}`));
      latencies.push((await started) - receipt);
      await sleep(STAGES * WAIT_MS + 50); // idle again before the next one
    }
    await worker.stop();
    latencies.sort((a, b) => a - b);
    const p = (q: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1);
    console.log(
      `   ${name.padEnd(10)} receipt → first stage start: p50 ${p(0.5)} ms   p99 ${p(0.99)} ms   (${samples} samples, load ${load()})`,
    );
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      events: { type: 'string', default: '400' },
      concurrency: { type: 'string', default: '4,16,64,128' },
      samples: { type: 'string', default: '100' },
      only: { type: 'string' },
    },
  });
  if (positionals[0] === 'work') {
    await workInChild(positionals[1] ?? '', Number(positionals[2]));
    return;
  }
  console.log(`I/O-bound stages and idle latency, ${new Date().toISOString()}, load average ${load()}`);
  const events = Number(values.events);
  if (!values.only || values.only === 'sweep') await concurrencySweep(events, (values.concurrency ?? '').split(',').map(Number));
  if (!values.only || values.only === 'processes') await processScaling(events);
  if (!values.only || values.only === 'latency') {
    console.log('\n3. idle latency');
    const dir = mkdtempSync(join(tmpdir(), 'webpig-io-'));
    try {
      await idleLatency('SQLite', `sqlite:${join(dir, 'idle.db')}`, Number(values.samples));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await withSchema((schemaUrl) => idleLatency('PostgreSQL', schemaUrl, Number(values.samples)));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
