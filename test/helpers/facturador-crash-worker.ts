/**
 * A worker process running the Facturador and its reversal pipeline against the sandbox, for
 * the Facturador crash test:
 * `node --import tsx test/helpers/facturador-crash-worker.ts`.
 *
 * Env: WEBPIG_DB (SQLite file), SANDBOX_BASE_URL (the server holding /sandbox), WEBPIG_CRASH_AT
 * (an engine failpoint such as `worldoffice_invoice_creation:after-run`), WEBPIG_CRASH_MARKER
 * (a file: the process SIGKILLs itself at the failpoint only if the file does not exist yet,
 * and creates it first, so the next process gets past that point).
 * Runs until no event is queued, processing or retrying, then exits 0.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { createWorker } from '../../src/engine/worker.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import { facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { facturadorReversalPipeline } from '../../examples/facturador/reversals.js';

const crashAt = process.env.WEBPIG_CRASH_AT ?? '';
const marker = process.env.WEBPIG_CRASH_MARKER ?? '';

function failpoint(name: string): void {
  if (name !== crashAt || !marker || existsSync(marker)) return;
  writeFileSync(marker, name);
  process.kill(process.pid, 'SIGKILL');
}

const store = SqliteStore.open(`sqlite:${process.env.WEBPIG_DB}`);
await store.migrate();
const config = { ...sandboxFacturadorConfig(process.env.SANDBOX_BASE_URL ?? ''), store };
const worker = createWorker({
  store,
  pipelines: [facturadorPipeline(config), facturadorReversalPipeline(config)],
  concurrency: 1,
  // Long enough that a worker starved of CPU (2 cores, many processes) keeps its lease between
  // renewals: a lost lease is an extra "resumed" attempt, which the crash test counts.
  leaseMs: 1_500,
  pollMs: 50,
  logger: pino({ level: 'silent' }),
  failpoint,
});
worker.start();
while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await worker.stop();
await store.close();
