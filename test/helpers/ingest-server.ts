/**
 * A real ingestion server for tests: Fastify + installErrorHandler + ingestPlugin on a real
 * SQLite store, listening on 127.0.0.1 with a free port.
 *
 * Imported: `startIngestServer()`. Run as a script (the crash test's child process):
 *   node --import tsx test/helpers/ingest-server.ts <sqlite file> [commit delay ms]
 * prints one line `{"port":…}` on stdout once it listens, and runs until killed. The delay
 * holds each group commit that long before it is written, so a server that replied before
 * committing would be caught with acknowledged deliveries still unwritten.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { SourceConfig } from '../../src/sources/config.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { ingestPlugin, type IngestPluginOptions } from '../../src/server/ingest/plugin.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { startEpaycoSandbox, type EpaycoSandbox } from './epayco-sandbox.js';
import { storeWithCommitHook } from './gated-store.js';
import { TEST_SECRETS } from './signing.js';

/**
 * One source of each kind, with the secrets of TEST_SECRETS (current + previous). The ePayco
 * source validates every confirmation at `epaycoValidationUrl` (a sandbox's ePayco).
 */
export function testSources(epaycoValidationUrl: string): SourceConfig[] {
  return [
    { name: 'stripe', kind: 'stripe', secrets: [TEST_SECRETS.stripe, TEST_SECRETS.stripeOld] },
    {
      name: 'mercadopago',
      kind: 'mercadopago',
      secrets: [TEST_SECRETS.mercadopago, TEST_SECRETS.mercadopagoOld],
      toleranceSeconds: 300,
    },
    {
      name: 'epayco',
      kind: 'epayco',
      customerId: TEST_SECRETS.epaycoCustomerId,
      pKeys: [TEST_SECRETS.epaycoPKey, TEST_SECRETS.epaycoPKeyOld],
      validation: { baseUrl: epaycoValidationUrl },
    },
    {
      name: 'shop',
      kind: 'custom',
      secrets: [TEST_SECRETS.custom, TEST_SECRETS.customOld],
      timestampHeader: 'x-webpig-timestamp',
      paths: { eventId: 'id', entityKey: 'order.id', type: 'type', occurredAt: 'occurred_at', transactionStatus: 'order.status' },
    },
  ];
}

export interface IngestServer {
  app: FastifyInstance;
  store: Store;
  baseUrl: string;
  registry: Registry;
  /** The sandbox's ePayco the ePayco source validates against: make payments there first. */
  epayco: EpaycoSandbox;
  close: () => Promise<void>;
}

export interface IngestServerOptions extends Partial<Omit<IngestPluginOptions, 'store' | 'sources'>> {
  /** As a config writes them; parsed here, as the config's one parse would. (Default: testSources) */
  sources?: readonly SourceConfig[];
  /** (Default: a fresh in-memory SQLite store, migrated) */
  store?: Store;
  /** Close the store with the server. (Default: true) */
  closeStore?: boolean;
}

export async function startIngestServer(options: IngestServerOptions = {}): Promise<IngestServer> {
  const store = options.store ?? SqliteStore.open('sqlite::memory:');
  await store.migrate();
  const registry = options.metricsRegistry ?? new Registry();
  const epayco = await startEpaycoSandbox();
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  // A route outside the plugin: its JSON parsing must be untouched by the plugin's raw parser.
  app.post('/echo', async (request) => ({ body: request.body as unknown }));
  // Tests check that each rejection is logged, faster than the production rate limit.
  await app.register(ingestPlugin, {
    rejectionLogPerSecond: 1_000_000,
    ...options,
    sources: parseSourceConfigs(options.sources ?? testSources(epayco.validationUrl)),
    store,
    metricsRegistry: registry,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    app,
    store,
    registry,
    epayco,
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await app.close();
      await epayco.close();
      if (options.closeStore !== false) await store.close();
    },
  };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: ingest-server.ts <sqlite file> [commit delay ms]');
  const delayMs = Number(process.argv[3] ?? 0);
  const sqlite = SqliteStore.open(`sqlite:${file}`);
  const store = delayMs > 0 ? storeWithCommitHook(sqlite, () => sleep(delayMs)) : sqlite;
  const server = await startIngestServer({ store });
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(server.baseUrl).port) })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
