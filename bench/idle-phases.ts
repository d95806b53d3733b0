/**
 * Where an idle worker's receipt → first stage start goes, on PostgreSQL:
 *
 *   node --import tsx bench/idle-phases.ts [--samples 60]
 *
 * One event at a time into an idle worker (as bench/io-bound.ts part 3), with the store's three
 * calls on the path timed from this process: the insert (its commit is flushed), the claim
 * (unflushed), the first `processing` mark (flushed), and what is left between them (the
 * wake-up, the run's start, the stage's start). Medians, in ms.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { definePipeline } from '../src/core/pipeline.js';
import { createWorker } from '../src/engine/worker.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { benchDelivery, withPostgresSchema } from './fixtures.js';

const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TIMED = ['insertEvent', 'claimNextEvents', 'writeCheckpoints'] as const;
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
      if (!marks.has(`${name}:start`)) marks.set(`${name}:start`, started).set(`${name}:end`, performance.now());
      return result;
    };
    Object.assign(store, { [name]: timed } satisfies Partial<Record<Timed, unknown>>);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '60' } } });
  await withPostgresSchema(url, 'webpig_phases', async ({ schemaUrl }) => {
    const store = await openStore(schemaUrl);
    await store.migrate();
    const marks = new Map<string, number>();
    timeCalls(store, marks);
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
    for (let i = 0; i < Number(values.samples); i++) {
      marks.clear();
      const stageStarted = new Promise<number>((resolve) => (firstStage = () => resolve(performance.now())));
      const receipt = performance.now();
      await store.insertEvent(benchDelivery(i, `phases-${randomBytes(3).toString('hex')}`));
      const stage = await stageStarted;
      const at = (mark: string): number => (marks.get(mark) ?? Number.NaN) - receipt;
      const sample: Array<[string, number]> = [
        ['insert (flushed)', at('insertEvent:end')],
        ['claim (unflushed)', at('claimNextEvents:end') - at('claimNextEvents:start')],
        ['first mark (flushed)', at('writeCheckpoints:end') - at('writeCheckpoints:start')],
        ['the rest', stage - receipt - at('insertEvent:end') - (at('writeCheckpoints:end') - at('claimNextEvents:start'))],
        ['receipt → first stage', stage - receipt],
      ];
      for (const [phase, ms] of sample) phases.set(phase, [...(phases.get(phase) ?? []), ms]);
      await sleep(100);
    }
    await worker.stop();
    await store.close();
    const median = (all: number[]): string => ([...all].sort((a, b) => a - b)[Math.floor(all.length / 2)] ?? Number.NaN).toFixed(2);
    console.log(
      `idle receipt → first stage on PostgreSQL, ${values.samples} samples, medians (load ${loadavg()
        .map((v) => v.toFixed(1))
        .join(' ')})`,
    );
    for (const [phase, all] of phases) console.log(`  ${phase.padEnd(24)} ${median(all).padStart(6)} ms`);
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
