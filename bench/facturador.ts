/**
 * The Facturador in the demo, end to end, at default settings: `runDemo` (SQLite file, server,
 * worker at its default concurrency; the sandbox in its own process), its own sample traffic off.
 * N accepted ePayco payments are made in the sandbox's ePayco, then their signed confirmations
 * are POSTed to /webhooks/epayco (the demo traffic's own code, `makeSandboxPayment` and
 * `signedConfirmation`), `--senders` at a time; every event runs the Facturador's 11 stages
 * over HTTP to the sandbox. Reported: events/s from the first delivery to the last finished
 * event, and from the last delivery on (the worker alone draining the backlog).
 * `--cpu-prof DIR` writes a V8 profile of the demo's process over the measured window only
 * (not its start nor the payments made beforehand), for bench/cpu-profile.ts.
 *
 * `--concurrency N` sets the worker's (default: the worker's default, as the demo runs).
 * `--prefill N` first stores N finished ePayco payments of other invoices (a demo that has run a
 * while); `--trace` prints where an event's time went (bench/facturador-trace.ts).
 *
 *   node --import tsx bench/facturador.ts [--events 600] [--senders 16] [--concurrency N] [--cpu-prof DIR] [--trace] [--prefill N]
 */
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEMO_SECRETS } from '../src/demo/demo-config.js';
import { runDemo } from '../src/demo/run-demo.js';
import { makeSandboxPayment, signedConfirmation } from '../src/sandbox/epayco-confirmations.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { traceLines } from './facturador-trace.js';
import { processCpu } from './fixtures.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '600' },
    senders: { type: 'string', default: '16' },
    concurrency: { type: 'string' },
    'cpu-prof': { type: 'string' },
    trace: { type: 'boolean', default: false },
    prefill: { type: 'string', default: '0' },
  },
});
const events = Number(values.events);
const prefilled = Number(values.prefill);
const senders = Number(values.senders);
const epayco = { customerId: DEMO_SECRETS.epaycoCustomerId, pKey: DEMO_SECRETS.epaycoPKey };
const FINISHED = ['succeeded', 'dead', 'ignored'] as const;

/** "4.1 s = 13.6 ms an event (user 10.2, system 3.4)": the system part is syscalls (sockets, SQLite's writes and fsyncs). */
function cpuLine(user: number, system: number): string {
  const perEvent = (seconds: number): string => ((seconds / events) * 1000).toFixed(1);
  return `${(user + system).toFixed(1)} s = ${perEvent(user + system)} ms an event (user ${perEvent(user)}, system ${perEvent(system)})`;
}

/**
 * One delivery over node:http with kept-alive connections, not fetch(): the senders run in the
 * demo's process and are counted in its CPU, and fetch cost about 0.5 ms of CPU a request
 * (its WHATWG streams) against 0.1–0.2 ms here; the load generator should weigh little.
 */
const senderAgent = new http.Agent({ keepAlive: true });
function deliver(url: string, signed: ReturnType<typeof signedConfirmation>): Promise<{ status: number; text: string }> {
  const body = signed.method === 'POST' ? signed.body : undefined;
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: signed.method, headers: signed.headers, agent: senderAgent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.once('error', reject);
    request.end(body);
  });
}

// Finished ePayco payments of other invoices, as a demo that has been running holds: per-event
// costs that grow with the inbox show up. Written and indexed for the text search in one
// transaction before the measured window, so the search indexer does not run inside it.
const PREFILL = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  INSERT INTO events (source, provider_event_id, entity_key, type, transaction_status, occurred_at, received_at,
                      summary, status, updated_at)
  SELECT 'epayco', 'old-' || i, 'OLD-' || i, 'payment', 'accepted', i, i, '{}', 'succeeded', i FROM n`;
const PREFILL_BODIES = `INSERT INTO event_bodies (event_id, raw_body, payload) SELECT id, CAST('{}' AS BLOB), '{}' FROM events`;
async function prefill(store: SqliteStore, count: number): Promise<void> {
  if (count <= 0) return;
  store.database.transaction(() => {
    store.database.prepare(PREFILL).run(count);
    store.database.prepare(PREFILL_BODIES).run();
    // What the search indexer would add after the commit (src/store/sqlite/search-index.ts).
    store.database.prepare('INSERT INTO events_search (rowid, search_text) SELECT id, search_text FROM events').run();
    store.database.prepare('UPDATE events_search_progress SET indexed_through = (SELECT max(id) FROM events)').run();
  })();
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
  ...(values.concurrency === undefined ? {} : { concurrency: Number(values.concurrency) }),
});
const reader = SqliteStore.open(`sqlite:${dbFile}`);
try {
  await prefill(reader, prefilled);
  const payments = Array.from({ length: events }, (_, i) => ({
    invoiceId: `INV-${70_000_000 + i}`,
    refPayco: String(70_000_000 + i),
    state: '1' as const,
    at: new Date(),
  }));
  // The payments exist in the sandbox's ePayco before any confirmation (the source validates them).
  for (const payment of payments) await makeSandboxPayment(`${demo.url}/sandbox`, payment, epayco);

  console.log(
    `Facturador in the demo: ${events} accepted payments, ${senders} senders, worker concurrency ${values.concurrency ?? 'default'}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const profiler = values['cpu-prof'] === undefined ? null : new Session();
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const sandboxCpuBefore = processCpu(demo.sandbox.pid);
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < payments.length) {
        const payment = payments[next++]!;
        const signed = signedConfirmation(payment, epayco);
        const reply = await deliver(`${demo.url}/webhooks/epayco${signed.query}`, signed);
        if (reply.status >= 300) throw new Error(`delivery ${payment.refPayco}: ${reply.status} ${reply.text}`);
      }
    }),
  );
  const delivered = performance.now();
  const finishedAtDelivery = (await reader.countEvents({ status: [...FINISHED] })) - prefilled;
  let finished = finishedAtDelivery;
  while (finished < events) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    finished = (await reader.countEvents({ status: [...FINISHED] })) - prefilled;
  }
  const done = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(eluBefore);
  const sandboxCpuAfter = processCpu(demo.sandbox.pid);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    // As `node --cpu-prof-dir` does (bench/ingest.ts): the folder is made if it is missing.
    mkdirSync(values['cpu-prof']!, { recursive: true });
    const file = join(values['cpu-prof']!, `facturador-demo-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    console.log(`  profile of the demo's process over the measured window: ${file}`);
  }
  const succeeded = (await reader.countEvents({ status: ['succeeded'] })) - prefilled;
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
    `  CPU of the demo's process (server, worker, senders) over ${seconds.toFixed(1)} s: ${cpuLine(cpu.user / 1e6, cpu.system / 1e6)}`,
  );
  // Busy share of the demo's event loop (wall time, not CPU time): near 1 with CPU well under
  // one core means the loop is saturated but descheduled (other processes share the cores).
  console.log(`  event loop of the demo's process: busy ${(elu.utilization * 100).toFixed(0)} % of the window`);
  if (sandboxCpuBefore !== null && sandboxCpuAfter !== null) {
    console.log(
      `  CPU of the sandbox's process: ${cpuLine(sandboxCpuAfter.user - sandboxCpuBefore.user, sandboxCpuAfter.system - sandboxCpuBefore.system)}`,
    );
  }
  if (values.trace) for (const line of traceLines(dbFile)) console.log(line);
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
