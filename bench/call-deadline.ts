/**
 * CPU of one call's deadline, the way ePayco's validation call makes it (src/sources/
 * epayco-validation.ts): `AbortSignal.timeout(ms)` (before) vs an AbortController with a timer
 * cleared when the answer comes (now). Each round makes `--calls` deadlines, 32 in flight, each
 * call answered after a turn of the event loop, then waits until every timer the round left
 * would have fired (`--timeout-ms`, 50 here instead of ePayco's 5000, so the timers that
 * outlive their call fire inside the round and their cost is counted). Alternating order.
 *
 * Reported: µs of this process's CPU (user + system) a call, the median over the rounds.
 * No durability involved: nothing is written.
 *
 *   node --import tsx bench/call-deadline.ts [--calls 50000] [--rounds 7] [--timeout-ms 50]
 */
import { loadavg } from 'node:os';
import { setImmediate as turn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { median } from './fixtures.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '7' },
    'timeout-ms': { type: 'string', default: '50' },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const timeoutMs = Number(values['timeout-ms']);
const INFLIGHT = 32;

/** A call that listens on its signal while it waits, as httpCall does. */
async function call(signal: AbortSignal): Promise<void> {
  const onAbort = (): void => undefined;
  signal.addEventListener('abort', onAbort, { once: true });
  await turn();
  signal.removeEventListener('abort', onAbort);
}

async function withTimeoutSignal(): Promise<void> {
  await call(AbortSignal.timeout(timeoutMs));
}

async function withClearedTimer(): Promise<void> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  try {
    await call(deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function round(deadline: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  for (let done = 0; done < calls; done += INFLIGHT) await Promise.all(Array.from({ length: INFLIGHT }, deadline));
  await new Promise((resolve) => setTimeout(resolve, timeoutMs * 3));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const ways = { 'AbortSignal.timeout (before)': withTimeoutSignal, 'controller + cleared timer (now)': withClearedTimer };
const took = new Map<string, number[]>(Object.keys(ways).map((name) => [name, []]));
for (const deadline of Object.values(ways)) await round(deadline);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? Object.entries(ways) : Object.entries(ways).reverse();
  for (const [name, deadline] of order) took.get(name)!.push(await round(deadline));
}
const load = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
console.log(`a call's deadline, ${calls} calls a round (${INFLIGHT} in flight), ${rounds} rounds alternating; load ${load}`);
const [before, now] = [...took.values()].map(median) as [number, number];
for (const [name, xs] of took)
  console.log(`  ${name}: ${median(xs).toFixed(2)} µs a call (rounds ${xs.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`  now ÷ before: ${(now / before).toFixed(2)}`);
