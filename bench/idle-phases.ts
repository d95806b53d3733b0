/**
 * Where an idle worker's receipt → first stage start goes, on PostgreSQL:
 *
 *   node --import tsx bench/idle-phases.ts [--samples 60]
 *
 * One event at a time into an idle worker (as bench/io-bound.ts part 3), with the store's three
 * calls on the path timed from this process: the insert (its commit is flushed), the claim
 * (unflushed), the first `processing` mark (flushed), and the gaps between them: the wake-up to
 * the claim's call (the claim loop's reaction), the claim's end to the mark's call (the run's
 * start, the pipeline's choice, the checkpoint writer), the mark's end to the stage. Also how
 * often the claim loop's `nextWakeAt()` was in flight beside the mark, and, as floors, a bare
 * round trip and a flushed one-row insert on a connection of this process, back to back and
 * each after the same 100 ms of idle as the path's samples (a sleeping backend, and on a
 * virtual machine a halted CPU, are woken first: the path pays that on each of its round
 * trips). Medians, in ms.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { definePipeline } from '../src/core/pipeline.js';
import { createWorker } from '../src/engine/worker.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { benchDelivery, withPostgresSchema } from './fixtures.js';

const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TIMED = ['insertEvent', 'claimNextEvents', 'writeCheckpoints', 'nextWakeAt'] as const;
type Timed = (typeof TIMED)[number];

/** Wraps the store's calls on the path: the start and end of each one's first call that did something. */
function timeCalls(store: Store, marks: Map<string, number>): void {
  for (const name of TIMED) {
    const call = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
    const timed = async (...args: unknown[]): Promise<unknown> => {
      const started = performance.now();
      const result = await call(...args);
      // An empty claim (the loop looking once more) is not the one that took the event.
      if (name === 'claimNextEvents' && Array.isArray(result) && result.length === 0) return result;
      // The look-up that matters is the one beside the first mark, not one after the stage.
      if (name === 'nextWakeAt' && marks.has('writeCheckpoints:end') && started > (marks.get('writeCheckpoints:end') ?? 0)) return result;
      if (!marks.has(`${name}:start`)) marks.set(`${name}:start`, started).set(`${name}:end`, performance.now());
      return result;
    };
    Object.assign(store, { [name]: timed } satisfies Partial<Record<Timed, unknown>>);
  }
}

/** The path's idle gap between samples, which the idle floors repeat before each statement. */
const IDLE_MS = 100;

/**
 * A bare round trip and a flushed one-row insert, alternating, on the bench's own connection:
 * back to back, then each after IDLE_MS of idle.
 */
async function roundTripFloors(admin: pg.Client, schema: string, samples: number): Promise<Map<string, number[]>> {
  await admin.query(`CREATE TABLE "${schema}".floor (id bigserial PRIMARY KEY, x int)`);
  const statements = [
    ['SELECT 1', 'SELECT 1'],
    ['flushed INSERT', `INSERT INTO "${schema}".floor (x) VALUES (1)`],
  ] as const;
  const floors = new Map<string, number[]>();
  for (const idleMs of [0, IDLE_MS]) {
    for (let i = 0; i < samples; i++) {
      for (const [floor, sql] of statements) {
        const name = `${floor}, ${idleMs > 0 ? `after ${idleMs} ms idle` : 'back to back'}`;
        const times = floors.get(name) ?? [];
        floors.set(name, times);
        if (idleMs > 0) await sleep(idleMs);
        const started = performance.now();
        await admin.query(sql);
        times.push(performance.now() - started);
      }
    }
  }
  return floors;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '60' } } });
  await withPostgresSchema(url, 'webpig_phases', async ({ schemaUrl, schema, admin }) => {
    const store = await openStore(schemaUrl);
    await store.migrate();
    const marks = new Map<string, number>();
    timeCalls(store, marks);
    const onWake = store.onWake.bind(store);
    store.onWake = (listener) => onWake(() => (marks.has('wake') || marks.set('wake', performance.now()), listener()));
    let firstStage: () => void = () => undefined;
    const pipeline = definePipeline({
      name: 'idle',
      match: () => true,
      stages: [{ name: 'first', run: async () => (firstStage(), {}) }],
    });
    const worker = createWorker({ store, pipelines: [pipeline], concurrency: 4, logger: pino({ level: 'silent' }) });
    worker.start();
    await sleep(300);
    const phases = new Map<string, number[]>();
    let beside = 0;
    for (let i = 0; i < Number(values.samples); i++) {
      marks.clear();
      const stageStarted = new Promise<number>((resolve) => (firstStage = () => resolve(performance.now())));
      const receipt = performance.now();
      await store.insertEvent(benchDelivery(i, `phases-${randomBytes(3).toString('hex')}`));
      const stage = await stageStarted;
      const at = (mark: string): number => (marks.get(mark) ?? Number.NaN) - receipt;
      const between = (from: string, to: string): number => at(to) - at(from);
      const sample: Array<[string, number]> = [
        ['insert (flushed)', at('insertEvent:end')],
        ['wake → claim call', between('wake', 'claimNextEvents:start')],
        ['claim (unflushed)', between('claimNextEvents:start', 'claimNextEvents:end')],
        ['claim → first mark call', between('claimNextEvents:end', 'writeCheckpoints:start')],
        ['first mark (flushed)', between('writeCheckpoints:start', 'writeCheckpoints:end')],
        ['first mark → stage', stage - receipt - at('writeCheckpoints:end')],
        ['receipt → first stage', stage - receipt],
      ];
      const besideMark = at('nextWakeAt:start') < at('writeCheckpoints:end') && at('nextWakeAt:end') > at('writeCheckpoints:start');
      if (besideMark) beside += 1;
      for (const [phase, ms] of sample) phases.set(phase, [...(phases.get(phase) ?? []), ms]);
      await sleep(IDLE_MS);
    }
    await worker.stop();
    await store.close();
    const floors = await roundTripFloors(admin, schema, Number(values.samples));
    const median = (all: number[]): string => ([...all].sort((a, b) => a - b)[Math.floor(all.length / 2)] ?? Number.NaN).toFixed(2);
    console.log(
      `idle receipt → first stage on PostgreSQL, ${values.samples} samples, medians (load ${loadavg()
        .map((v) => v.toFixed(1))
        .join(' ')})`,
    );
    for (const [phase, all] of phases) console.log(`  ${phase.padEnd(24)} ${median(all).padStart(6)} ms`);
    console.log(`  nextWakeAt() in flight beside the first mark in ${beside} of ${values.samples} samples`);
    for (const [floor, all] of floors) console.log(`  floor: ${floor.padEnd(36)} ${median(all).padStart(6)} ms`);
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
