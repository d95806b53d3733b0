/**
 * What the reference-pipeline tests (test/examples/) share: a real SQLite store in a temporary
 * directory, the real webhook route (`POST /webhooks/:source` on 127.0.0.1, signatures
 * verified by the source adapters, committed before the reply) and the engine's real worker.
 */
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import type { EventRecord, EventStatus } from '../../src/core/types.js';
import { createWorker, type Worker } from '../../src/engine/worker.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { ingestPlugin } from '../../src/server/ingest/plugin.js';
import type { SourceConfig } from '../../src/sources/config.js';
import type { SignedDelivery } from '../../src/sources/signing.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sendDelivery } from './signing.js';
import { tempDatabaseDir } from './sqlite.js';

export interface EngineHarness {
  store: SqliteStore;
  worker: Worker;
  /** The server with the webhook route, e.g. http://127.0.0.1:PORT. */
  ingestUrl: string;
  dir: string;
  /** Stops the worker, closes the store; removes the directory unless the test failed. */
  close(options?: { keep?: boolean }): Promise<void>;
}

export async function startEngine(options: {
  sources: SourceConfig[];
  /** The pipelines, or a function that builds them with the store (for alerts). */
  pipelines: PipelineDefinition[] | ((store: SqliteStore) => PipelineDefinition[]);
  concurrency?: number;
}): Promise<EngineHarness> {
  const { dir, remove } = tempDatabaseDir('webpig-examples-');
  const store = SqliteStore.open(`sqlite:${join(dir, 'webpig.db')}`);
  await store.migrate();
  const worker = createWorker({
    store,
    // Retries at once (unless a pipeline says otherwise), so a fault costs milliseconds, not
    // the guide's minutes; the default schedule itself is tested in test/engine/retry-schedule.test.ts.
    pipelines: (typeof options.pipelines === 'function' ? options.pipelines(store) : options.pipelines).map((pipeline) => ({
      retry: { delaysMs: [0, 0, 0] },
      ...pipeline,
    })),
    concurrency: options.concurrency ?? 8,
    pollMs: 25,
    logger: pino({ level: 'silent' }),
  });
  worker.start();
  const server: FastifyInstance = Fastify({ logger: false });
  installErrorHandler(server);
  await server.register(ingestPlugin, { store, sources: parseSourceConfigs(options.sources) });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('the ingest server is not listening on TCP');
  return {
    store,
    worker,
    ingestUrl: `http://127.0.0.1:${address.port}`,
    dir,
    async close(closeOptions) {
      await server.close();
      await worker.stop();
      await store.close();
      if (!closeOptions?.keep) remove();
      else console.error(`kept the failed test's database in ${dir}`);
    },
  };
}

export interface Delivered {
  /** webpig's id of the stored event (the same for a duplicate). */
  id: number;
  duplicate: boolean;
}

/** Sends a signed delivery to the webhook route over HTTP; fails unless it is acknowledged. */
export async function deliver(harness: EngineHarness, source: string, signed: SignedDelivery): Promise<Delivered> {
  const reply = await sendDelivery(harness.ingestUrl, source, signed);
  if (reply.status !== 200 || typeof reply.body.id !== 'number') {
    throw new Error(`POST /webhooks/${source} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return { id: reply.body.id, duplicate: reply.body.status === 'duplicate' };
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
