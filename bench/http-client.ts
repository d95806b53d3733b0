/**
 * Client CPU a loopback HTTP call, the connectors' kind: a POST with a ~1 KB JSON body and a
 * ~250-byte JSON reply, `--inflight` calls at once (32), against a plain node:http server in a
 * child process (its CPU is not counted). Compared, in alternating order, `--rounds` times:
 *
 * - node:http: the trimmed node:http call `httpCall` was before undici (bench/http-client-node.ts);
 * - undici `request()` with its body read by `.text()`, on a keep-alive Agent (undici's defaults);
 * - `httpCall` as it is now (src/core/http-call.ts: an undici dispatch handler).
 *
 * Reported: µs of this process's CPU (user + system) a call, calls/s, and each ratio to node:http
 * (median over the rounds). No durability involved: nothing is written.
 *
 *   node --import tsx bench/http-client.ts [--calls 20000] [--inflight 32] [--rounds 5]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { httpCall } from '../src/core/http-call.js';
import { nodeHttpCall } from './http-client-node.js';
import { median } from './fixtures.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '5' },
  },
});
const calls = Number(values.calls);
const inflight = Number(values.inflight);
const rounds = Number(values.rounds);

// A service's kind of answer: a small JSON record, after the whole request body was read.
const SERVER = `
const http = require('node:http');
const reply = JSON.stringify({ id: 'inv_0001', status: 'issued', number: 'FE-000123', total: 125000, currency: 'COP',
  lines: [{ sku: 'A-1', qty: 2, price: 50000 }, { sku: 'B-2', qty: 1, price: 25000 }], createdAt: new Date(0).toISOString() });
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
    res.end(reply);
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });
`;
const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => server.stdout.once('data', (line: Buffer) => resolve(Number(String(line).trim()))));
const url = `http://127.0.0.1:${port}/v1/invoices?draft=false`;
const body = JSON.stringify({
  customer: { name: 'Ana Pérez', email: 'ana@example.com', document: '1020304050' },
  lines: Array.from({ length: 10 }, (_, i) => ({ sku: `SKU-${i}`, description: 'Suscripción mensual plan básico', qty: 1, price: 125000 })),
  reference: 'INV-70000001',
});
const headers = { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer sandbox-token-0123456789' };
const request = (): { method: string; headers: Record<string, string>; body: string; signal: AbortSignal } => ({
  method: 'POST',
  headers,
  body,
  signal: new AbortController().signal,
});

const undiciAgent = new Agent();
const BASE = 'node:http (httpCall before)';
const variants: Record<string, () => Promise<string>> = {
  [BASE]: async () => (await nodeHttpCall(url, request())).text,
  'undici request() + .text()': async () => {
    const target = new URL(url);
    const reply = await undiciAgent.request({ origin: target.origin, path: target.pathname + target.search, ...request(), method: 'POST' });
    return reply.body.text();
  },
  'httpCall (undici dispatch)': async () => (await httpCall(url, request())).text,
};

/** `calls` calls, `inflight` at a time: this process's CPU a call (µs) and calls a second. */
async function measure(call: () => Promise<string>): Promise<{ cpuUs: number; perSecond: number }> {
  let started = 0;
  const cpu = process.cpuUsage();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (started++ < calls) await call();
    }),
  );
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / calls, perSecond: calls / ((performance.now() - began) / 1000) };
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const names = Object.keys(variants);
for (const name of names) await measure(variants[name]!); // warm-up: JIT and connections
console.log(
  `${calls} loopback POSTs (~${body.length}-byte JSON body) a round, ${inflight} in flight, ${rounds} rounds; load average ${load()}`,
);
const cpuUs: Record<string, number[]> = {};
const perSecond: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const result = await measure(variants[name]!);
    (cpuUs[name] ??= []).push(result.cpuUs);
    (perSecond[name] ??= []).push(result.perSecond);
  }
}
const baseCpu = median(cpuUs[BASE]!);
for (const name of names) {
  const cpu = median(cpuUs[name]!);
  console.log(
    `  ${name.padEnd(28)} ${cpu.toFixed(1).padStart(6)} µs CPU a call (rounds ${cpuUs[name]!.map((x) => x.toFixed(0)).join(', ')}), ` +
      `${median(perSecond[name]!).toFixed(0)} calls/s; CPU ÷ node:http ${(cpu / baseCpu).toFixed(2)}`,
  );
}
console.log(`  load average at the end ${load()}`);
server.kill();
await undiciAgent.close();
process.exit(0);
