/**
 * WAL bytes per delivery on SQLite: `node --import tsx bench/wal-per-delivery.ts [--events N]
 * [--body-kb K] [--baseline DIR]`.
 *
 * N deliveries (Default: 300) of K KB each (Default: 20) are stored one per commit, as the
 * ingestion path does at a low rate, into a fresh file; then the real worker runs them through
 * a trivial pipeline (3 no-op stages). Checkpoints are off (no timer, wal_autocheckpoint = 0),
 * so the WAL only grows: its size after each phase is every frame written. Printed: WAL bytes
 * per delivery while ingesting and for the worker's part.
 *
 * --baseline DIR runs the same against another checkout's code (its src/ is imported) and
 * prints both side by side with the ratio. The figures for issue 17 compare main before
 * migration 0005 (bodies rewritten with every update of the events row) and after:
 *   git worktree add --detach /tmp/webpig-main <commit> && ln -s "$PWD/node_modules" /tmp/webpig-main/
 *   node --import tsx bench/wal-per-delivery.ts --baseline /tmp/webpig-main
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type * as PipelineModule from '../src/core/pipeline.js';
import type * as WorkerModule from '../src/engine/worker.js';
import type * as SqliteModule from '../src/store/sqlite/sqlite-store.js';
import type { NewEvent } from '../src/store/store.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const events = Number(arg('events') ?? 300);
const bodyKb = Number(arg('body-kb') ?? 20);
const baseline = arg('baseline');
if (!Number.isInteger(events) || events < 1 || !(bodyKb > 0)) {
  console.error('usage: bench/wal-per-delivery.ts [--events N] [--body-kb K] [--baseline DIR]');
  process.exit(2);
}

interface Code {
  SqliteStore: typeof SqliteModule.SqliteStore;
  createWorker: typeof WorkerModule.createWorker;
  definePipeline: typeof PipelineModule.definePipeline;
}

/** The store, worker and pipeline modules of the checkout at `root`. */
async function codeAt(root: string): Promise<Code> {
  const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(root, path)).href)) as T;
  const [sqlite, worker, pipeline] = await Promise.all([
    load<typeof SqliteModule>('src/store/sqlite/sqlite-store.ts'),
    load<typeof WorkerModule>('src/engine/worker.ts'),
    load<typeof PipelineModule>('src/core/pipeline.ts'),
  ]);
  return { SqliteStore: sqlite.SqliteStore, createWorker: worker.createWorker, definePipeline: pipeline.definePipeline };
}

/** A JSON delivery of about `bodyKb` KB (random text: SQLite stores it as it is). */
function delivery(i: number): NewEvent {
  const data = randomBytes(Math.floor((bodyKb * 1024 * 3) / 4))
    .toString('base64')
    .slice(0, bodyKb * 1024 - 40);
  const payload = { id: `evt_${i}`, data };
  const at = new Date();
  return {
    source: 'bench',
    providerEventId: `evt_${i}`,
    entityKey: `pay_${i}`,
    type: 'payment.updated',
    transactionStatus: 'accepted',
    occurredAt: at,
    receivedAt: at,
    rawBody: Buffer.from(JSON.stringify(payload)),
    contentType: 'application/json',
    payload,
    summary: { amount: 1000 + i, currency: 'COP' },
  };
}

interface Figures {
  ingestPerDelivery: number;
  workerPerDelivery: number;
}

async function measure(code: Code): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-wal-bench-'));
  try {
    const file = join(dir, 'bench.db');
    const store = code.SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
    await store.migrate();
    store.database.pragma('wal_autocheckpoint = 0');
    store.database.pragma('wal_checkpoint(TRUNCATE)');
    const walBytes = () => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    const start = walBytes();
    for (let i = 0; i < events; i++) await store.insertEvent(delivery(i));
    const ingested = walBytes();

    const pipeline = code.definePipeline({
      name: 'bench',
      match: () => true,
      stages: ['one', 'two', 'three'].map((name, i, all) => ({
        name,
        dependsOn: i === 0 ? [] : [all[i - 1] as string],
        run: async () => ({ ok: true }),
      })),
    });
    let finished = 0;
    let done: () => void = () => undefined;
    const allDone = new Promise<void>((resolveDone) => (done = resolveDone));
    const worker = code.createWorker({
      store,
      pipelines: [pipeline],
      concurrency: 1,
      logger: pino({ level: 'silent' }),
      onResult: (_event, result) => {
        if (result.status !== 'succeeded') throw new Error(`bench event ended ${result.status}`);
        finished += 1;
        if (finished === events) done();
      },
    });
    worker.start();
    await allDone;
    await worker.stop();
    const processed = walBytes();
    await store.close();
    return { ingestPerDelivery: (ingested - start) / events, workerPerDelivery: (processed - ingested) / events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`.padStart(10);
const here = await measure(await codeAt(resolve(import.meta.dirname, '..')));
console.log(`SQLite WAL written per ${bodyKb} KB delivery, ${events} deliveries, 3 no-op stages, checkpoints off`);
if (baseline === undefined) {
  console.log(
    `  ingesting: ${kb(here.ingestPerDelivery)}   worker: ${kb(here.workerPerDelivery)}   total: ${kb(here.ingestPerDelivery + here.workerPerDelivery)}`,
  );
} else {
  const before = await measure(await codeAt(resolve(baseline)));
  const row = (name: string, b: number, a: number) =>
    console.log(`  ${name.padEnd(10)} ${kb(b)} ${kb(a)}   ${(b / a).toFixed(1).padStart(5)}×`);
  console.log(`  ${''.padEnd(10)} ${'baseline'.padStart(10)} ${'this tree'.padStart(10)}   ratio (baseline ÷ this)`);
  row('ingesting', before.ingestPerDelivery, here.ingestPerDelivery);
  row('worker', before.workerPerDelivery, here.workerPerDelivery);
  row('total', before.ingestPerDelivery + before.workerPerDelivery, here.ingestPerDelivery + here.workerPerDelivery);
}
