/**
 * CPU of one `observeStage` (src/engine/worker-metrics.ts: a stage attempt's duration into
 * prom-client's histogram), 11 stages of one pipeline in turn as the Facturador's, from this
 * tree and from `--base DIR` (another checkout), in alternating rounds in this one process.
 *
 * Reported: µs of this process's CPU (user + system) an observation, the median over the
 * rounds, and branch ÷ base. No durability involved: nothing is written.
 *
 *   node --import tsx bench/worker-metrics.ts [--base /work/base2] [--observations 200000] [--rounds 7]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { WorkerMetrics } from '../src/engine/worker-metrics.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: '/work/base2' },
    observations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
  },
});
const observations = Number(values.observations);
const rounds = Number(values.rounds);

type Create = () => WorkerMetrics;
const here = ((await import('../src/engine/worker-metrics.js')) as { createWorkerMetrics: Create }).createWorkerMetrics();
const base = (
  (await import(pathToFileURL(`${values.base}/src/engine/worker-metrics.ts`).href)) as { createWorkerMetrics: Create }
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const took = { base: [] as number[], branch: [] as number[] };
round(base);
round(here);
for (let r = 0; r < rounds; r++) {
  const order: Array<'base' | 'branch'> = r % 2 === 0 ? ['base', 'branch'] : ['branch', 'base'];
  for (const which of order) took[which].push(round(which === 'base' ? base : here));
}
const [b, h] = [median(took.base), median(took.branch)];
const load = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
console.log(`observeStage, ${observations} a round, ${rounds} rounds alternating; load ${load}`);
console.log(`  base (${values.base}): ${b.toFixed(3)} µs an observation (rounds ${took.base.map((x) => x.toFixed(3)).join(', ')})`);
console.log(`  branch (this tree):   ${h.toFixed(3)} µs an observation (rounds ${took.branch.map((x) => x.toFixed(3)).join(', ')})`);
console.log(`  branch ÷ base: ${(h / b).toFixed(2)}`);
