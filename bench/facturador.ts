/**
 * The Facturador in the demo, end to end, at default settings: `runDemo` (SQLite file, server,
 * worker at its default concurrency; the sandbox in its own process), its own sample traffic off.
 * N accepted ePayco payments are made in the sandbox's ePayco, then their signed confirmations
 * are POSTed to /webhooks/epayco (the demo traffic's own code, `makeSandboxPayment` and
 * `signedConfirmation`), `--senders` at a time; every event runs the Facturador's 11 stages
 * over HTTP to the sandbox. Reported: events/s from the first delivery to the last finished
 * event, and from the last delivery on (the worker alone draining the backlog).
 *
 *   node --import tsx bench/facturador.ts [--events 600] [--senders 16]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_SECRETS } from '../src/demo/demo-config.js';
import { runDemo } from '../src/demo/run-demo.js';
import { makeSandboxPayment, signedConfirmation } from '../src/sandbox/epayco-confirmations.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '600' }, senders: { type: 'string', default: '16' } } });
const events = Number(values.events);
const senders = Number(values.senders);
const epayco = { customerId: DEMO_SECRETS.epaycoCustomerId, pKey: DEMO_SECRETS.epaycoPKey };
const FINISHED = ['succeeded', 'dead', 'ignored'] as const;

/** CPU seconds (user + system) a process has used, from /proc (Linux); null elsewhere. */
function cpuSecondsOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-facturador-'));
const dbFile = join(dir, 'demo.db');
// Hermetic: the demo reads only the variables passed here, none of the developer's WEBPIG_*.
const demo = await runDemo({
  port: 0,
  host: '127.0.0.1',
  dbFile,
  traffic: false,
  env: { WEBPIG_LOG_LEVEL: 'error' },
  print: () => undefined,
});
const reader = SqliteStore.open(`sqlite:${dbFile}`);
try {
  const payments = Array.from({ length: events }, (_, i) => ({
    invoiceId: `INV-${70_000_000 + i}`,
    refPayco: String(70_000_000 + i),
    state: '1' as const,
    at: new Date(),
  }));
  // The payments exist in the sandbox's ePayco before any confirmation (the source validates them).
  for (const payment of payments) await makeSandboxPayment(`${demo.url}/sandbox`, payment, epayco);

  console.log(
    `Facturador in the demo: ${events} accepted payments, ${senders} senders, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const sandboxCpuBefore = cpuSecondsOf(demo.sandbox.pid);
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < payments.length) {
        const payment = payments[next++]!;
        const signed = signedConfirmation(payment, epayco);
        const response = await fetch(`${demo.url}/webhooks/epayco${signed.query}`, {
          method: signed.method,
          headers: signed.headers,
          ...(signed.method === 'POST' ? { body: signed.body } : {}),
        });
        if (response.status >= 300) throw new Error(`delivery ${payment.refPayco}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
  const delivered = performance.now();
  const finishedAtDelivery = await reader.countEvents({ status: [...FINISHED] });
  let finished = finishedAtDelivery;
  while (finished < events) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    finished = await reader.countEvents({ status: [...FINISHED] });
  }
  const done = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const sandboxCpuAfter = cpuSecondsOf(demo.sandbox.pid);
  const succeeded = await reader.countEvents({ status: ['succeeded'] });
  const seconds = (done - started) / 1000;
  const drain = (done - delivered) / 1000;
  console.log(
    `  deliveries: ${events} in ${((delivered - started) / 1000).toFixed(1)} s (${(events / ((delivered - started) / 1000)).toFixed(0)}/s); ${finishedAtDelivery} finished by then`,
  );
  console.log(
    `  end to end: ${events} events in ${seconds.toFixed(1)} s = ${(events / seconds).toFixed(1)} events/s (target ≥ 150); ${succeeded} succeeded`,
  );
  console.log(
    `  backlog drain after the last delivery: ${events - finishedAtDelivery} events in ${drain.toFixed(1)} s = ${((events - finishedAtDelivery) / drain).toFixed(1)} events/s`,
  );
  console.log(
    `  CPU of the demo's process (server, worker, senders): ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of ${seconds.toFixed(1)} s = ${(((cpu.user + cpu.system) / 1e6 / events) * 1000).toFixed(1)} ms an event`,
  );
  if (sandboxCpuBefore !== null && sandboxCpuAfter !== null) {
    const sandboxCpu = sandboxCpuAfter - sandboxCpuBefore;
    console.log(`  CPU of the sandbox's process: ${sandboxCpu.toFixed(1)} s = ${((sandboxCpu / events) * 1000).toFixed(1)} ms an event`);
  }
  console.log(
    `  load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await reader.close();
  await demo.stop();
  rmSync(dir, { recursive: true, force: true });
}
