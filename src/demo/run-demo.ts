import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { WebpigError } from '../core/errors.js';
import { sandboxPlugin } from '../sandbox/plugin.js';
import { SandboxStore, sandboxDbPathFor } from '../sandbox/sandbox-store.js';
import { startTraffic, type StopTraffic } from '../sandbox/traffic.js';
import { logLevelFromEnv } from '../config/log-level.js';
import { resolveConfig } from '../config/resolve.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { allInterfacesNote } from '../service/listen-address.js';
import { startService, type RunningService } from '../service/start.js';
import { seedDemoStock, ShopBackend, shopServicePlugin } from '../../examples/stripe-orders/index.js';
import { PaymentStore } from '../../examples/mercadopago-payments/index.js';
import { MercadoPagoClient, SubscriptionStore, subscriptionsWebPlugin } from '../../examples/subscriptions/index.js';
import { demoConfig, demoSources, DEMO_PEOPLE, DEMO_SECRETS } from './demo-config.js';
import { startExampleTraffic, type StopExampleTraffic } from './example-traffic.js';
import { startSandboxProcess, type SandboxProcess } from './sandbox-process.js';

export interface DemoOptions {
  /** (Default: 3000; 0 picks a free port) */
  port: number;
  host: string;
  /** SQLite file. (Default: ./webpig-demo.db) */
  dbFile: string;
  traffic: boolean;
  /** Pause between two ePayco traffic scenarios. (Default: 3000 ms) */
  trafficIntervalMs?: number;
  /** Pause between two Stripe order stories of the examples' traffic. (Default: 4000 ms) */
  exampleTrafficIntervalMs?: number;
  /** A subscription story every this many order stories. (Default: 3) */
  subscriptionEvery?: number;
  env: Readonly<Record<string, string | undefined>>;
  print: (line: string) => void;
  /** Events the worker runs at once. (Default: the worker's, DEFAULT_CONCURRENCY) */
  concurrency?: number;
}

export interface RunningDemo {
  url: string;
  service: RunningService;
  /** The Stripe orders example's shop (served under /sandbox/shop; its records in the sandbox database). */
  shop: ShopBackend;
  /** The subscriptions example's own database (`<db>.subscriptions.db`). */
  subscriptions: SubscriptionStore;
  /** The sandbox's own process, which the demo's connectors call (its records are also under `url`/sandbox). */
  sandbox: { url: string; pid: number };
  /**
   * Resolves with a sentence if a process of the demo stops on its own (the sandbox's): the
   * demo cannot go on without it; the caller says so and stops. Never resolves otherwise.
   */
  failed: Promise<string>;
  /** Stops the sample traffic only (the server and worker go on); resolves when none is in flight. */
  stopTraffic(): Promise<void>;
  /** Traffic first, then running stages finish (with `abort`: are aborted), then everything closes. */
  stop(options?: { abort?: boolean }): Promise<void>;
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

/**
 * The server's connections that have not sent a byte yet: a browser's speculative pre-connect,
 * or one a sample-traffic request opened and abandoned when the traffic stopped.
 */
function trackSilentConnections(service: RunningService): { destroy(): void } {
  const open = new Set<Socket>();
  service.app?.server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    destroy() {
      for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
    },
  };
}

/**
 * `webpig demo`: SQLite file, server, worker and signed sample traffic in this process; the
 * sandbox (other companies' servers) in a process of its own, so its CPU is not the demo's.
 * The server also serves the sandbox's records and faults under /sandbox (same database file).
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  // Checked before the sandbox starts and the database opens (the demo's config is resolved later).
  logLevelFromEnv(options.env);
  const dbFile = path.resolve(options.dbFile);
  const store = await openWritableStore(dbFile);
  try {
    assertSideFilesWritable(dbFile);
    return await runDemoOn(store, dbFile, options);
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * The demo's database, checked writable before anything starts (as `webpig start` checks its
 * own): SQLite opens a read-only file without a word, and the demo would come up and refuse
 * every sample webhook. A file it cannot write is DATABASE_READ_ONLY, naming the file.
 */
async function openWritableStore(dbFile: string): Promise<Store> {
  const store = await openStore(`sqlite:${dbFile}`);
  try {
    await store.assertWritable();
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** The demo's other SQLite files, beside its database: the sandbox's and the two examples' own. */
function sideFiles(dbFile: string): Array<{ file: string; what: string }> {
  return [
    { file: sandboxDbPathFor(dbFile), what: "the demo's sandbox database" },
    { file: subscriptionsDbPathFor(dbFile), what: "the subscriptions example's database" },
    { file: paymentsDbPathFor(dbFile), what: "the MercadoPago payments example's database" },
  ];
}

function subscriptionsDbPathFor(dbFile: string): string {
  return `${dbFile}.subscriptions.db`;
}

function paymentsDbPathFor(dbFile: string): string {
  return `${dbFile}.shop-payments.db`;
}

/**
 * The demo's other files can be written, checked before the sandbox process starts: they sit
 * beside `<db>` in the folder of the path given (a `--db` that is a symlink to a file elsewhere
 * leaves them in the link's folder), and a read-only one made the sandbox process die with
 * SQLite's "unable to open database file", or the demo stop on "attempt to write a readonly
 * database", neither naming the file. SQLite writes its -wal and -shm files beside each, so the
 * folder must be writable too.
 */
function assertSideFilesWritable(dbFile: string): void {
  for (const { file, what } of sideFiles(dbFile)) {
    const folder = path.dirname(file);
    const exists = existsSync(file);
    const fileProblem = exists ? writeProblem(file) : null;
    const folderProblem = writeProblem(folder);
    if (fileProblem !== null) {
      throw new WebpigError(
        'DATABASE_READ_ONLY',
        `${what} ${file} cannot be written (${fileProblem}); let the user running webpig write the file and its folder, or give the demo a --db in a folder it can write`,
      );
    }
    if (folderProblem !== null) {
      throw new WebpigError(
        'DATABASE_READ_ONLY',
        `${what} ${file} cannot be ${exists ? 'written' : 'created'}: its folder ${folder} cannot be written (${folderProblem}); let the user running webpig write that folder, or give the demo a --db in a folder it can write`,
      );
    }
  }
}

/** Why this process may not write `target` (a file or a folder): EROFS, EACCES…; null when it may. */
function writeProblem(target: string): string | null {
  try {
    accessSync(target, fsConstants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS' ? 'EROFS: a read-only file system' : code === 'EACCES' ? 'EACCES: permission denied' : (code ?? String(err));
  }
}

/**
 * The address the demo's own parts call it at and print for a browser: for 0.0.0.0 or :: (every
 * interface) the loopback one, since `http://0.0.0.0:…` and `http://[::]:…` are no address to
 * open or call. The sandbox process, which only the demo calls, listens there too, not on every
 * interface (its fault-injection routes are no one else's).
 */
function localHostFor(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

async function runDemoOn(store: Store, dbFile: string, options: DemoOptions): Promise<RunningDemo> {
  const port = await resolvePort(options.port, options.host);
  const local = localHostFor(options.host);
  const baseUrl = `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
  const { sources, demoSecretsFor, epayco, stripeSecret, mercadopagoSecret } = demoSources(options.env);
  let reportFailure: (message: string) => void = () => undefined;
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));
  const sandboxProcess: SandboxProcess = await startSandboxProcess({
    sandboxDbFile: sandboxDbPathFor(dbFile),
    host: local,
    onUnexpectedExit: (message) => reportFailure(message),
  });
  try {
    return await runDemoWith(options, {
      store,
      dbFile,
      port,
      baseUrl,
      sandboxProcess,
      failed,
      sources,
      demoSecretsFor,
      epayco,
      stripeSecret,
      mercadopagoSecret,
    });
  } catch (err) {
    await sandboxProcess.stop();
    throw err;
  }
}

interface DemoParts extends ReturnType<typeof demoSources> {
  /** Open, writable and migrated; closed by the service once it started, by `runDemo` before. */
  store: Store;
  dbFile: string;
  port: number;
  baseUrl: string;
  sandboxProcess: SandboxProcess;
  failed: Promise<string>;
}

async function runDemoWith(options: DemoOptions, parts: DemoParts): Promise<RunningDemo> {
  const { store, dbFile, port, baseUrl, sandboxProcess, sources, demoSecretsFor, epayco, stripeSecret, mercadopagoSecret } = parts;
  // `webpig reconcile --db` run as its own process on this database finds the sandbox here.
  await store.recordProviderApi('stripe', `${baseUrl}/sandbox/stripe`);
  const sandboxStore = SandboxStore.open(sandboxDbPathFor(dbFile));
  // The examples' own applications: the shop (in the sandbox's database) and the subscriptions app's database.
  const shop = new ShopBackend(sandboxStore);
  seedDemoStock(shop);
  const subscriptions = new SubscriptionStore(subscriptionsDbPathFor(dbFile));
  const payments = new PaymentStore(paymentsDbPathFor(dbFile));
  // Parsed once, here at the top, like a user's config; the service gets it resolved.
  const config = resolveConfig(
    demoConfig(baseUrl, sources, { alerts: store, subscriptions, payments }, sandboxProcess.url),
    'the demo config',
    { env: options.env },
  );
  let service: RunningService;
  try {
    service = await startService({
      store,
      config,
      http: true,
      worker: true,
      mode: 'demo',
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      port,
      host: options.host,
      logLevel: config.logLevel ?? 'warn',
      extraPlugins: async (app) => {
        await app.register(sandboxPlugin, { store: sandboxStore });
        await app.register(shopServicePlugin, { backend: shop });
        await app.register(subscriptionsWebPlugin, {
          subscriptions,
          mercadopago: new MercadoPagoClient({ baseUrl: `${sandboxProcess.url}/sandbox/mercadopago` }),
        });
      },
    });
  } catch (err) {
    // The server did not start: the demo's own files are closed again (the store is the service's).
    subscriptions.close();
    payments.close();
    sandboxStore.close();
    throw err;
  }
  // For 0.0.0.0 and :: the loopback URL, one a browser opens (the "Listening on:" line says where else).
  const url = service.address?.allInterfaces ? baseUrl : (service.url ?? baseUrl);
  const silentConnections = trackSilentConnections(service);
  let stopTraffic: StopTraffic | null = null;
  let stopExampleTraffic: StopExampleTraffic | null = null;
  if (options.traffic) {
    stopTraffic = startTraffic({
      baseUrl: url,
      epayco,
      intervalMs: options.trafficIntervalMs ?? 3000,
      onError: () => undefined,
    });
    stopExampleTraffic = startExampleTraffic({
      baseUrl: url,
      stripeSecret,
      mercadopagoSecret,
      intervalMs: options.exampleTrafficIntervalMs ?? 4000,
      subscriptionEvery: options.subscriptionEvery ?? 3,
      onError: () => undefined,
    });
  }
  const print = options.print;
  print('');
  print(`  Web Pig dashboard:  ${url}/`);
  if (service.address?.allInterfaces) print(`  Listening on:       ${service.address.url} (${allInterfacesNote(service.address)})`);
  print(`  Webhooks:           ${url}/webhooks/epayco | /webhooks/mercadopago | /webhooks/stripe`);
  print(`  Sandbox records:    ${url}/sandbox/worldoffice/invoices (and the other services)`);
  print(`  Sandbox services:   ${sandboxProcess.url}/sandbox (their own process, pid ${sandboxProcess.pid}: the connectors call it)`);
  print(
    `  Examples:           shop ${url}/sandbox/shop/orders (fulfilments, stock, emails) | subscriptions ${url}/shop/subscriptions/page`,
  );
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

  let trafficStopping: Promise<void> | null = null;
  const stopAllTraffic = (): Promise<void> => {
    trafficStopping ??= Promise.all([stopTraffic?.(), stopExampleTraffic?.()]).then(() => undefined);
    return trafficStopping;
  };
  let stopping: Promise<void> | null = null;
  return {
    url,
    service,
    shop,
    subscriptions,
    sandbox: { url: sandboxProcess.url, pid: sandboxProcess.pid },
    failed: parts.failed,
    stopTraffic: stopAllTraffic,
    stop(options) {
      if (options?.abort) void service.worker?.stop({ abort: true });
      stopping ??= (async () => {
        await stopAllTraffic();
        // Running stages finish first (they call the sandbox and the shop on this server)...
        await service.worker?.stop();
        // ...then connections that never sent a request are closed: nothing is in flight on them,
        // and the server's close would otherwise wait for them until Node's headersTimeout (60 s).
        silentConnections.destroy();
        await service.stop();
        await sandboxProcess.stop();
        sandboxStore.close();
        subscriptions.close();
        payments.close();
      })();
      return stopping;
    },
  };
}
