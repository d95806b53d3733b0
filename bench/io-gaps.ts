/**
 * Where one worker's time goes on stages that wait on the network:
 *
 *   node --import tsx bench/io-gaps.ts [--events 80]
 *
 * One worker at concurrency 4 on PostgreSQL ($WEBPIG_TEST_POSTGRES_URL, a fresh schema) runs a
 * 5-stage pipeline whose stages each wait 50 ms (bench/io-bound.ts's shape; ideal 16 events/s).
 * Printed: a slot's time an event, split into the stages' own time, the gaps between one
 * stage's end and the next one's start (the durable write of the outcome + next `processing`
 * mark), and the rest (finish, claim, first mark). Beside them, timed in the same minutes on a
 * connection of its own: the store's `writeCheckpoints` and `claimNextEvents` calls, a bare
 * round trip (SELECT 1), an empty call of `webpig_write_checkpoints`, and a durable one-row
 * INSERT, so a write's time reads as round trip + function + commit.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchDeliveries, type BenchSchema, withPostgresSchema } from './fixtures.js';
import pg from 'pg';
import { pino } from 'pino';
import { definePipeline } from '../src/core/pipeline.js';
import { createWorker } from '../src/engine/worker.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';

const STAGES = 5;
const WAIT_MS = 50;
const CONCURRENCY = 4;
const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EMPTY_BATCH = JSON.stringify({ writes: [], outcomes: [], summaries: [], logs: [], exchanges: [], starts: [], finishes: [] });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (xs: number[]): string => `p50 ${p50(xs).toFixed(1)} mean ${mean(xs).toFixed(1)} ms`;

/** Wraps `store[name]` so every call's duration lands in `into`. */
function timed<K extends 'writeCheckpoints' | 'claimNextEvents'>(store: Store, name: K, into: number[]): void {
  const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
  (store as unknown as Record<K, (...args: unknown[]) => Promise<unknown>>)[name] = async (...args) => {
    const started = performance.now();
    try {
      return await original(...args);
    } finally {
      into.push(performance.now() - started);
    }
  };
}

/** Times a bare round trip, an empty function call and a durable INSERT, in turn, until stopped. */
async function probe(schemaUrl: string, schema: string, isRunning: () => boolean) {
  const client = new pg.Client({ connectionString: schemaUrl });
  await client.connect();
  await client.query(`SET search_path TO "${schema}"`);
  await client.query('CREATE TABLE io_gaps_probe (i int)');
  const rtt: number[] = [];
  const emptyCall: number[] = [];
  const insert: number[] = [];
  const time = async (into: number[], sql: string, params: unknown[] = []): Promise<void> => {
    const started = performance.now();
    await client.query(sql, params);
    into.push(performance.now() - started);
  };
  while (isRunning()) {
    await time(rtt, 'SELECT 1');
    await time(emptyCall, 'SELECT r.fenced_id FROM webpig_write_checkpoints($1::jsonb, $2::text) AS r', [EMPTY_BATCH, 'io_gaps']);
    await time(insert, 'INSERT INTO io_gaps_probe VALUES (1)');
    await sleep(5);
  }
  await client.end();
  return { rtt, emptyCall, insert };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '80' } } });
  const events = Number(values.events);
  await withPostgresSchema(url, 'webpig_gaps', (target) => measure(target, events));
}

async function measure({ schemaUrl, schema }: BenchSchema, events: number): Promise<void> {
  const store = await openStore(schemaUrl);
  try {
    await store.migrate();
    const runs: { event: number; stage: number; start: number; end: number }[] = [];
    const pipeline = definePipeline({
      name: 'io',
      match: () => true,
      stages: Array.from({ length: STAGES }, (_, i) => ({
        name: `call_${i + 1}`,
        dependsOn: i === 0 ? [] : [`call_${i}`],
        run: async (ctx) => {
          const start = performance.now();
          await sleep(WAIT_MS);
          runs.push({ event: ctx.event.id, stage: i, start, end: performance.now() });
          return { ok: true };
        },
      })),
    });
    await store.insertEvents(benchDeliveries(events, 'gap'));
    const writes: number[] = [];
    const claims: number[] = [];
    timed(store, 'writeCheckpoints', writes);
    timed(store, 'claimNextEvents', claims);
    let running = true;
    const probed = probe(schemaUrl, schema, () => running);
    const before = load();
    const worker = createWorker({ store, pipelines: [pipeline], concurrency: CONCURRENCY, pollMs: 50, logger: pino({ level: 'silent' }) });
    const started = performance.now();
    worker.start();
    while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    await worker.stop();
    running = false;
    const { rtt, emptyCall, insert } = await probed;

    const gaps: number[] = [];
    const byEvent = new Map<number, typeof runs>();
    for (const run of runs) byEvent.set(run.event, [...(byEvent.get(run.event) ?? []), run]);
    for (const list of byEvent.values()) {
      list.sort((a, b) => a.stage - b.stage);
      for (let i = 1; i < list.length; i++) gaps.push(list[i]!.start - list[i - 1]!.end);
    }
    const slotMs = (CONCURRENCY * seconds * 1000) / events;
    const stagesMs = STAGES * mean(runs.map((r) => r.end - r.start));
    const gapsMs = (STAGES - 1) * mean(gaps);
    console.log(
      `\none worker, concurrency ${CONCURRENCY}, ${events} events, ${STAGES} × ${WAIT_MS} ms stages, PostgreSQL (load ${before} → ${load()})`,
    );
    console.log(`  ${(events / seconds).toFixed(1)} events/s   ideal ${(CONCURRENCY / ((STAGES * WAIT_MS) / 1000)).toFixed(0)}`);
    console.log(
      `  a slot's time an event: ${slotMs.toFixed(0)} ms = stages ${stagesMs.toFixed(0)} + between stages ${gapsMs.toFixed(0)} ` +
        `+ the rest (finish, claim, first mark) ${(slotMs - stagesMs - gapsMs).toFixed(0)}`,
    );
    console.log(`  between two stages: ${ms(gaps)}`);
    console.log(`  writeCheckpoints: ${writes.length} calls, ${ms(writes)}   claimNextEvents: ${claims.length} calls, ${ms(claims)}`);
    console.log(
      `  same minutes, own connection: SELECT 1 ${ms(rtt)}; empty webpig_write_checkpoints ${ms(emptyCall)}; durable 1-row INSERT ${ms(insert)}`,
    );
  } finally {
    await store.close();
  }
}

await main();
