import { createServer } from 'node:net';
import path from 'node:path';
import { sandboxPlugin } from '../sandbox/plugin.js';
import { SandboxStore, sandboxDbPathFor } from '../sandbox/sandbox-store.js';
import { startTraffic, type StopTraffic } from '../sandbox/traffic.js';
import { openStore } from '../store/open.js';
import { startService, type RunningService } from '../cli/service.js';
import { demoConfig, demoSources, DEMO_PEOPLE, DEMO_SECRETS } from './demo-config.js';

export interface DemoOptions {
  /** (Default: 3000; 0 picks a free port) */
  port: number;
  host: string;
  /** SQLite file. (Default: ./webpig-demo.db) */
  dbFile: string;
  traffic: boolean;
  /** Pause between two traffic scenarios. (Default: 3000 ms) */
  trafficIntervalMs?: number;
  env: Readonly<Record<string, string | undefined>>;
  print: (line: string) => void;
}

export interface RunningDemo {
  url: string;
  service: RunningService;
  stop(): Promise<void>;
}

/** A free port, when the user asked for 0: the connectors need the URL before the server listens. */
async function resolvePort(port: number, host: string): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `webpig demo`: SQLite file, server, worker, sandbox and signed sample traffic in one process. */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const dbFile = path.resolve(options.dbFile);
  const port = await resolvePort(options.port, options.host);
  const baseUrl = `http://${options.host}:${port}`;
  const { sources, demoSecretsFor, epayco } = demoSources(options.env);
  const config = demoConfig(baseUrl, sources);
  const store = await openStore(`sqlite:${dbFile}`);
  await store.migrate();
  const sandboxStore = SandboxStore.open(sandboxDbPathFor(dbFile));
  const service = await startService({
    store,
    config,
    http: true,
    worker: true,
    mode: 'demo',
    port,
    host: options.host,
    logLevel: options.env.WEBPIG_LOG_LEVEL ?? 'warn',
    extraPlugins: async (app) => {
      await app.register(sandboxPlugin, { store: sandboxStore });
    },
  });
  const url = service.url ?? baseUrl;
  let stopTraffic: StopTraffic | null = null;
  if (options.traffic) {
    stopTraffic = startTraffic({
      baseUrl: url,
      epayco,
      intervalMs: options.trafficIntervalMs ?? 3000,
      onError: () => undefined,
    });
  }
  const print = options.print;
  print('');
  print(`  Web Pig dashboard:  ${url}/`);
  print(`  Webhooks:           ${url}/webhooks/epayco | /webhooks/mercadopago | /webhooks/stripe`);
  print(`  Sandbox records:    ${url}/sandbox/worldoffice/invoices (and the other services)`);
  print(`  Database:           sqlite:${dbFile}   (try: npx webpig --db sqlite:${dbFile} events)`);
  print(`  Development sign-in (demo only): ${Object.values(DEMO_PEOPLE).join(', ')}`);
  if (demoSecretsFor.length > 0) {
    print(`  Demo secrets (set WEBPIG_* variables to use your own) for ${demoSecretsFor.join(', ')}:`);
    if (demoSecretsFor.includes('epayco')) {
      print(`    ePayco P_CUST_ID_CLIENTE=${DEMO_SECRETS.epaycoCustomerId} P_KEY=${DEMO_SECRETS.epaycoPKey}`);
    }
    if (demoSecretsFor.includes('mercadopago')) print(`    MercadoPago secret signature=${DEMO_SECRETS.mercadopago}`);
    if (demoSecretsFor.includes('stripe')) print(`    Stripe endpoint secret=${DEMO_SECRETS.stripe}`);
  }
  print(options.traffic ? '  Sample webhooks are arriving. Ctrl-C stops.' : '  No sample traffic (--no-traffic). Ctrl-C stops.');
  print('');

  let stopping: Promise<void> | null = null;
  return {
    url,
    service,
    stop() {
      stopping ??= (async () => {
        await stopTraffic?.();
        await service.stop();
        sandboxStore.close();
      })();
      return stopping;
    },
  };
}
