import { performance } from 'node:perf_hooks';

/**
 * What the webpig server spent per delivery, robust to a loaded machine: its event loop's
 * busy time (eventLoopUtilization: JavaScript and anything that blocks the loop, such as an
 * fsync run inside COMMIT) and its CPU time, each divided by the deliveries committed; and the
 * group-commit batches (deliveries a commit, time from the batch's start to its durability).
 */
export function serverStats(): { record: (size: number, durationMs: number) => void; deliveries: () => number; describe: () => string } {
  const loopAtStart = performance.eventLoopUtilization();
  const cpuAtStart = process.cpuUsage();
  let batches = 0;
  let deliveries = 0;
  let commitMs = 0;
  return {
    record(size, durationMs) {
      batches++;
      deliveries += size;
      commitMs += durationMs;
    },
    deliveries: () => deliveries,
    describe: () => {
      const loop = performance.eventLoopUtilization(loopAtStart);
      const cpu = process.cpuUsage(cpuAtStart);
      const per = (ms: number) => (ms / Math.max(1, deliveries)).toFixed(3);
      return (
        `${deliveries} deliveries in ${batches} commits (${(deliveries / Math.max(1, batches)).toFixed(1)} a commit, ` +
        `${(commitMs / Math.max(1, batches)).toFixed(2)} ms each until durable); event loop busy ${per(loop.active)} ms ` +
        `and CPU ${per((cpu.user + cpu.system) / 1000)} ms a delivery`
      );
    },
  };
}
