/**
 * CPU of one `observeStage` (src/engine/worker-metrics.ts: a stage attempt's duration into
 * prom-client's histogram), 11 stages of one pipeline in turn as the Facturador's, from this
 * tree and from `--base DIR` (another checkout), in alternating rounds in this one process.
 *
 * Reported: µs of this process's CPU (user + system) an observation, the median over the
 * rounds, and branch ÷ base. No durability involved: nothing is written.
 *
 *   node --import tsx bench/worker-metrics.ts --base DIR [--observations 200000] [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { WorkerMetrics } from '../src/engine/worker-metrics.js';
import { alternatingRounds, baseTree, cpuMicrosEach, printBaseVsBranch } from './fixtures.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    observations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
  },
});
const observations = Number(values.observations);
const rounds = Number(values.rounds);

type Create = () => WorkerMetrics;
const here = ((await import('../src/engine/worker-metrics.js')) as { createWorkerMetrics: Create }).createWorkerMetrics();
const baseDir = baseTree(values.base, 'node --import tsx bench/worker-metrics.ts --base DIR [--observations 200000] [--rounds 7]');
const base = (
  (await import(pathToFileURL(`${baseDir}/src/engine/worker-metrics.ts`).href)) as { createWorkerMetrics: Create }
).createWorkerMetrics();
const stages = Array.from({ length: 11 }, (_, i) => `stage-${i}`);

function round(metrics: WorkerMetrics): number {
  return cpuMicrosEach(observations, (i) =>
    metrics.observeStage({
      pipeline: 'facturador',
      stage: stages[i % stages.length]!,
      status: 'success',
      durationMs: i % 50,
      errorCode: null,
    }),
  );
}

const took = alternatingRounds(rounds, (side) => round(side === 'base' ? base : here));
printBaseVsBranch(`observeStage, ${observations} a round`, 'an observation', took, baseDir, { digits: 3 });
