/**
 * What the reference-pipeline tests (test/examples/) share: a real SQLite store in a temporary
 * directory, the engine's real worker, and deliveries that go through the real source adapter
 * (signature verified, identity read) into the store, exactly as the webhook route stores them.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import type { EventRecord, EventStatus } from '../../src/core/types.js';
import { createWorker, type Worker } from '../../src/engine/worker.js';
import type { SignedDelivery } from '../../src/sources/signing.js';
import type { SourceAdapter } from '../../src/sources/source.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { InsertEventResult } from '../../src/store/store.js';
import { tempDatabaseDir } from './sqlite.js';
import { toIncoming } from './signing.js';

export interface EngineHarness {
  store: SqliteStore;
  worker: Worker;
  dir: string;
  /** Stops the worker, closes the store; removes the directory unless the test failed. */
  close(options?: { keep?: boolean }): Promise<void>;
}

export async function startEngine(options: {
  /** The pipelines, or a function that builds them with the store (for alerts). */
  pipelines: PipelineDefinition[] | ((store: SqliteStore) => PipelineDefinition[]);
  concurrency?: number;
}): Promise<EngineHarness> {
  const { dir, remove } = tempDatabaseDir('webpig-examples-');
  const store = SqliteStore.open(`sqlite:${join(dir, 'webpig.db')}`);
  await store.migrate();
  const worker = createWorker({
    store,
    pipelines: typeof options.pipelines === 'function' ? options.pipelines(store) : options.pipelines,
    concurrency: options.concurrency ?? 8,
    pollMs: 25,
    logger: pino({ level: 'silent' }),
  });
  worker.start();
  return {
    store,
    worker,
    dir,
    async close(closeOptions) {
      await worker.stop();
      await store.close();
      if (!closeOptions?.keep) remove();
      else console.error(`kept the failed test's database in ${dir}`);
    },
  };
}

/** Verifies a signed delivery with the source's adapter and stores it, as the webhook route does. */
export async function deliver(
  store: SqliteStore,
  adapter: SourceAdapter,
  signed: SignedDelivery,
  receivedAt = new Date(),
): Promise<InsertEventResult> {
  const incoming = toIncoming(signed);
  const normalized = await adapter.verify(incoming, receivedAt);
  return store.insertEvent({
    source: adapter.name,
    ...normalized,
    receivedAt,
    rawBody: incoming.rawBody,
    contentType: signed.headers['content-type'] ?? null,
  });
}

const FINAL: ReadonlySet<EventStatus> = new Set(['succeeded', 'ignored', 'dead']);

/**
 * Waits until the event reaches a final status (succeeded, ignored, dead) and returns it.
 * The limit only stops a broken test from hanging; no assertion depends on timing.
 */
export async function waitForEvent(store: SqliteStore, id: number, limitMs = 30_000): Promise<EventRecord> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const event = await store.getEvent(id);
    if (event && FINAL.has(event.status)) return event;
    if (Date.now() > deadline) throw new Error(`event ${id} is still ${event?.status ?? 'missing'} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until no event is queued, processing or retrying. */
export async function waitForIdle(store: SqliteStore, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const busy = await store.countEvents({ status: ['queued', 'processing', 'retrying'] });
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`${busy} events are still unfinished after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
