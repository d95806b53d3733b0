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
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { WorkerMetrics } from '../src/engine/worker-metrics.js';
import { alternatingRounds, baseTree, median } from './fixtures.js';

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
  const before = process.cpuUsage();
  for (let i = 0; i < observations; i++) {
    metrics.observeStage({
      pipeline: 'facturador',
      stage: stages[i % stages.length]!,
      status: 'success',
      durationMs: i % 50,
      errorCode: null,
    });
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / observations;
}

const took = alternatingRounds(rounds, (side) => round(side === 'base' ? base : here));
const [b, h] = [median(took.base), median(took.branch)];
const load = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
console.log(`observeStage, ${observations} a round, ${rounds} rounds alternating; load ${load}`);
console.log(`  base (${baseDir}): ${b.toFixed(3)} µs an observation (rounds ${took.base.map((x) => x.toFixed(3)).join(', ')})`);
console.log(`  branch (this tree):   ${h.toFixed(3)} µs an observation (rounds ${took.branch.map((x) => x.toFixed(3)).join(', ')})`);
console.log(`  branch ÷ base: ${(h / b).toFixed(2)}`);
