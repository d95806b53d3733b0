/**
 * A worker process for the crash tests: `node --import tsx test/helpers/crash-worker.ts`.
 *
 * Env: WEBPIG_DB (SQLite file), EFFECTS_URL, WEBPIG_CRASH_AT (a failpoint name such as
 * `ledger:during`, `invoice:after-outcome`, `event:before-finish`), WEBPIG_CRASH_MARKER (a
 * file: the process SIGKILLs itself at the failpoint only if the file does not exist yet, and
 * creates it first, so the next process gets past that point).
 * Runs until no event is queued, processing or retrying, then exits 0.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createWorker } from '../../src/engine/worker.js';
import { crashPipeline } from './crash-pipeline.js';

const crashAt = process.env.WEBPIG_CRASH_AT ?? '';
const marker = process.env.WEBPIG_CRASH_MARKER ?? '';

function failpoint(name: string): void {
  if (name !== crashAt || !marker || existsSync(marker)) return;
  writeFileSync(marker, name);
  process.kill(process.pid, 'SIGKILL');
}

const store = SqliteStore.open(`sqlite:${process.env.WEBPIG_DB}`);
await store.migrate();
const worker = createWorker({
  store,
  pipelines: [crashPipeline(process.env.EFFECTS_URL ?? '', (stage) => failpoint(`${stage}:during`))],
  concurrency: 2,
  leaseMs: 400,
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
