/**
 * A worker process for the crash and multi-worker tests:
 * `node --import tsx test/helpers/crash-worker.ts`.
 *
 * Env: WEBPIG_DATABASE_URL (any store URL; or WEBPIG_DB, a SQLite file), EFFECTS_URL,
 * WEBPIG_CRASH_AT (a failpoint name such as `ledger:during`, `invoice:after-outcome`,
 * `event:before-finish`; optional), WEBPIG_CRASH_MARKER (a file: the process SIGKILLs itself
 * at the failpoint only if the file does not exist yet, and creates it first, so the next
 * process gets past that point), WEBPIG_CRASH_ARM (a file: when set, the process waits at the
 * failpoint, lease still renewed, until the file exists, then SIGKILLs itself), WEBPIG_LEASE_MS (Default: 400), WEBPIG_STAGE_DELAY_MS
 * (Default: 0), WEBPIG_CONCURRENCY (Default: 2), WEBPIG_CRASH_LOOKUPS (`1`: the pipeline with stages
 * without effects, crash-pipeline.ts).
 * Runs until no event is queued, processing or retrying, then exits 0.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { openStore } from '../../src/store/open.js';
import { createWorker } from '../../src/engine/worker.js';
import { crashPipeline } from './crash-pipeline.js';

const crashAt = process.env.WEBPIG_CRASH_AT ?? '';
const marker = process.env.WEBPIG_CRASH_MARKER ?? '';

const arm = process.env.WEBPIG_CRASH_ARM ?? '';

async function failpoint(name: string): Promise<void> {
  if (name !== crashAt || !marker) return;
  try {
    // 'wx': of several processes reaching the point at once, exactly one creates the marker.
    writeFileSync(marker, name, { flag: 'wx' });
  } catch {
    return;
  }
  // Held here (lease still renewed) until the test arms the crash, so it can kill this
  // worker while others are running.
  while (arm && !existsSync(arm)) await new Promise((resolve) => setTimeout(resolve, 10));
  process.kill(process.pid, 'SIGKILL');
}

const store = await openStore(process.env.WEBPIG_DATABASE_URL ?? `sqlite:${process.env.WEBPIG_DB}`);
await store.migrate();
const worker = createWorker({
  store,
  pipelines: [
    crashPipeline(process.env.EFFECTS_URL ?? '', (stage) => failpoint(`${stage}:during`), Number(process.env.WEBPIG_STAGE_DELAY_MS ?? 0), {
      withLookups: process.env.WEBPIG_CRASH_LOOKUPS === '1',
    }),
  ],
  concurrency: Number(process.env.WEBPIG_CONCURRENCY ?? 2),
  leaseMs: Number(process.env.WEBPIG_LEASE_MS ?? 400),
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
