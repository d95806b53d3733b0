import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import { singleText } from '../../src/core/texts.js';
import type { CheckpointRecord, EventRecord, EventStatus, JsonObject } from '../../src/core/types.js';
import { createWorker, type Worker } from '../../src/engine/worker.js';
import { sandboxPlugin } from '../../src/sandbox/plugin.js';
import { confirmationFields, signedConfirmation, type ConfirmationInput } from '../../src/sandbox/epayco-confirmations.js';
import { SandboxStore, type FaultSpec, type SandboxRecord, type SandboxService } from '../../src/sandbox/sandbox-store.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { ingestPlugin } from '../../src/server/ingest/plugin.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewEvent, Store } from '../../src/store/store.js';
import { sandboxFacturadorConfig, type FacturadorConfig } from '../../examples/facturador/config.js';
import { facturadorFlags, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { facturadorReversalPipeline } from '../../examples/facturador/reversals.js';

export const EPAYCO = { customerId: '1234567', pKey: 'facturador-test-p-key' } as const;

/** The Facturador's stages that act on another system (all but its reads and the invoice claim), in order: each must act once per invoice. */
export const FACTURADOR_EFFECT_STAGES = [
  'callbell_notification',
  'membership_creation',
  'crm_upsert',
  'worldoffice_customer',
  'worldoffice_invoice_creation',
  'worldoffice_invoice_accounting',
  'worldoffice_dian_emission',
  'strapi_cartera_update',
  'strapi_facturacion_creation',
] as const;

/**
 * Everything the Facturador needs, for real, on 127.0.0.1: one Fastify app with the ingestion
 * plugin (ePayco source) and the sandbox, a SQLite webpig store (or the one given) and a
 * sandbox store (both in memory by default), and a worker running the Facturador pipeline against the sandbox over HTTP.
 */
export interface FacturadorHarness {
  baseUrl: string;
  app: FastifyInstance;
  store: Store;
  sandbox: SandboxStore;
  pipelines: PipelineDefinition[];
  worker: Worker;
  /** Every request the server received, oldest first. */
  received: ReceivedRequest[];
  /**
   * Makes the payment in the sandbox's ePayco (in this state), then POSTs its signed
   * confirmation to /webhooks/epayco; returns webpig's event id.
   */
  sendConfirmation(input: Omit<ConfirmationInput, 'customerId'>): Promise<number>;
  /** Makes (or moves) the payment in the sandbox's ePayco only, which the source validates against. */
  makePayment(input: Omit<ConfirmationInput, 'customerId'>): void;
  /** Waits until the event is in one of these statuses (fails after 15 s, naming its state). */
  waitForStatus(eventId: number, statuses: EventStatus[]): Promise<EventRecord>;
  /** Waits until no event is queued, processing or retrying (fails after `timeoutMs`, default 15 s). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  checkpoint(eventId: number, stage: string): Promise<CheckpointRecord | undefined>;
  records(service: SandboxService, collection: string): SandboxRecord[];
  fault(spec: FaultSpec): void;
  setFlag(key: string, value: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** SQLite file for webpig. (Default: in memory) */
  dbPath?: string;
  /** Use this webpig store instead (e.g. PostgreSQL); migrated here, closed by close(). */
  store?: Store;
  /** SQLite file for the sandbox. (Default: in memory) */
  sandboxDbPath?: string;
  /** Run a worker in this process. (Default: true; crash tests run theirs in a child process) */
  startWorker?: boolean;
  /** (Default: the engine's 30 s) */
  stageTimeoutMs?: number;
  /** Worker concurrency. (Default: 2) */
  concurrency?: number;
  /**
   * The entity key ePayco events are stored with: `invoice` (what the ePayco source gives a
   * validated confirmation, `invoice:<x_id_invoice>`) or `reference` (`x_ref_payco`, the old
   * keying: both payments of an invoice then run at once). (Default: 'invoice')
   */
  entityKey?: 'invoice' | 'reference';
  /** Give the pipeline webpig's store (the invoice claim and "paid twice" alert). (Default: true) */
  withStore?: boolean;
  /** `false`: the ePayco source does not validate with the sandbox's ePayco. (Default: it does) */
  epaycoValidation?: false;
  /** Changes the sandbox configuration before the pipeline is built (other URLs, tokens). */
  configure?: (config: FacturadorConfig) => FacturadorConfig;
}

/** A request the server received: what the connectors sent. */
export interface ReceivedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export async function startFacturadorHarness(options: HarnessOptions = {}): Promise<FacturadorHarness> {
  const store: Store = options.store ?? SqliteStore.open(options.dbPath ? `sqlite:${options.dbPath}` : 'sqlite::memory:');
  await store.migrate();
  await store.ensureFlags(
    facturadorFlags.map((flag) => ({ key: flag.key, description: singleText(flag.description), defaultValue: flag.default ?? true })),
    new Date(),
  );
  const sandbox = SandboxStore.open(options.sandboxDbPath ?? ':memory:');
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  // ePayco's reference endpoint (the sandbox's, on the same sandbox store) on its own port: the
  // source must know its URL before the main app listens. Its requests are not in `received`.
  const epaycoApp = Fastify({ logger: false });
  await epaycoApp.register(sandboxPlugin, { store: sandbox });
  await epaycoApp.listen({ host: '127.0.0.1', port: 0 });
  const epaycoAddress = epaycoApp.server.address();
  if (!epaycoAddress || typeof epaycoAddress === 'string') throw new Error('not listening on TCP');
  const validation = options.epaycoValidation ?? { baseUrl: `http://127.0.0.1:${epaycoAddress.port}/sandbox/epayco` };
  const received: ReceivedRequest[] = [];
  app.addHook('onRequest', async (request) => {
    received.push({ method: request.method, url: request.url, authorization: request.headers.authorization });
  });
  await app.register(ingestPlugin, {
    store: options.entityKey === 'reference' ? keyedByReference(store) : store,
    sources: parseSourceConfigs([{ name: 'epayco', kind: 'epayco', customerId: EPAYCO.customerId, pKeys: [EPAYCO.pKey], validation }]),
  });
  await app.register(sandboxPlugin, { store: sandbox });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on TCP');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const config = (options.configure ?? ((c) => c))(sandboxFacturadorConfig(baseUrl));
  if (options.stageTimeoutMs !== undefined) config.stageTimeoutMs = options.stageTimeoutMs;
  if (options.withStore ?? true) config.store = store;
  // Retries at once, so a fault costs milliseconds, not the guide's minutes; the default
  // schedule itself is tested in test/engine/retry-schedule.test.ts.
  const retry = { delaysMs: [0, 0, 0] };
  const pipelines = [{ ...facturadorPipeline(config), retry }, ...(config.store ? [{ ...facturadorReversalPipeline(config), retry }] : [])];
  const worker = createWorker({
    store,
    pipelines,
    concurrency: options.concurrency ?? 2,
    leaseMs: 5_000,
    pollMs: 20,
    logger: pino({ level: 'silent' }),
  });
  if (options.startWorker ?? true) worker.start();

  function makePayment(input: Omit<ConfirmationInput, 'customerId'>): void {
    const fields = confirmationFields({ ...input, customerId: EPAYCO.customerId });
    const [known] = sandbox.findBy('epayco', 'transactions', 'x_ref_payco', input.refPayco);
    if (known) sandbox.update('epayco', 'transactions', known.id, fields);
    else sandbox.insert('epayco', 'transactions', fields);
  }

  return {
    baseUrl,
    app,
    store,
    sandbox,
    pipelines,
    worker,
    received,
    makePayment,
    async sendConfirmation(input) {
      makePayment(input);
      const signed = signedConfirmation(input, EPAYCO);
      const res = await fetch(`${baseUrl}/webhooks/epayco${signed.query}`, {
        method: signed.method,
        headers: signed.headers,
        body: signed.body,
      });
      const body = (await res.json()) as JsonObject;
      if (res.status !== 200 || typeof body.id !== 'number') throw new Error(`webhook refused: ${res.status} ${JSON.stringify(body)}`);
      return body.id;
    },
    async waitForStatus(eventId, statuses) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const event = await store.getEvent(eventId);
        if (event && statuses.includes(event.status)) return event;
        if (Date.now() > deadline) {
          const checkpoints = (await store.getCheckpoints(eventId)).map(
            (c) => `${c.stage}=${c.status}${c.error ? `(${c.error.message})` : ''}`,
          );
          throw new Error(`event ${eventId} is ${event?.status}, not ${statuses.join('|')}; checkpoints: ${checkpoints.join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async waitForIdle(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) {
        if (Date.now() > deadline) throw new Error(`events are still being processed after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async checkpoint(eventId, stage) {
      return (await store.getCheckpoints(eventId)).find((c) => c.stage === stage);
    },
    records: (service, collection) => sandbox.list(service, collection),
    fault: (spec) => void sandbox.addFault(spec),
    async setFlag(key, value) {
      await store.setFlag({ key, value, actor: 'test', now: new Date() });
    },
    async close() {
      await worker.stop({ abort: true });
      await app.close();
      await epaycoApp.close();
      await store.close();
      sandbox.close();
    },
  };
}

/**
 * The store as the ingestion plugin sees it, storing ePayco events with the entity key
 * `invoice:<x_id_invoice>` (the invoice the payment pays). The ePayco source is being changed
 * to give that key itself (from the invoice ePayco's server-side check confirms); until then
 * the harness sets it here, on the real ingestion path (HTTP, signature check, group commit).
 * A key that already says `invoice:` is left as it is.
 */
function keyedByReference(store: Store): Store {
  const rekey = (event: NewEvent): NewEvent => {
    const payload = event.payload;
    const reference = payload && typeof payload === 'object' && !Array.isArray(payload) ? payload.x_ref_payco : undefined;
    if (event.source !== 'epayco' || typeof reference !== 'string') return event;
    return { ...event, entityKey: reference };
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'insertEvent') return (event: NewEvent) => target.insertEvent(rekey(event));
      if (property === 'insertEvents') return (events: NewEvent[]) => target.insertEvents(events.map(rekey));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A harness a test at a time: registers, where it is called, an `afterEach` that closes the one
 * the test started with `start`. `closeNow` closes it within the test (one that removes its
 * files itself), after which `afterEach` has nothing left to close.
 */
export function facturadorHarnessPerTest(): {
  start: (options?: HarnessOptions) => Promise<FacturadorHarness>;
  closeNow: () => Promise<void>;
} {
  let current: FacturadorHarness | undefined;
  const closeNow = async () => {
    const open = current;
    current = undefined;
    await open?.close();
  };
  afterEach(closeNow);
  return {
    async start(options = {}) {
      current = await startFacturadorHarness(options);
      return current;
    },
    closeNow,
  };
}

/**
 * A second worker on the harness's store, running its pipelines (concurrency 3, a 5 s lease), not
 * started: two workers on one database, claiming against each other. The caller stops it.
 */
export function secondWorker(h: FacturadorHarness): Worker {
  return createWorker({
    store: h.store,
    pipelines: h.pipelines,
    concurrency: 3,
    leaseMs: 5_000,
    pollMs: 20,
    logger: pino({ level: 'silent' }),
  });
}

/** Every side effect of one accepted payment exists exactly once in the sandbox. */
export function assertExactlyOnce(h: FacturadorHarness, invoiceId: string, amount: number): void {
  const invoices = h.records('worldoffice', 'invoices');
  assert.equal(invoices.length, 1, 'one WorldOffice invoice');
  assert.equal(invoices[0]?.reference, invoiceId);
  assert.equal(h.records('worldoffice', 'customers').length, 1, 'one WorldOffice customer');
  assert.equal(h.records('worldoffice', 'accountings').length, 1, 'one accounting entry');
  assert.equal(h.records('strapi', 'facturacions').length, 1, 'one facturación record');
  assert.equal(h.records('callbell', 'messages').length, 1, 'one WhatsApp message');
  assert.equal(h.records('frapp', 'memberships').length, 1, 'one membership');
  assert.equal(h.records('clientify', 'contacts').length, 1, 'one CRM contact');
  const carteras = h.records('strapi', 'carteras');
  assert.equal(carteras.length, 1, 'one cartera');
  assert.equal(carteras[0]?.totalPaid, amount, 'the cartera counted the payment once');
  assert.equal((carteras[0]?.payments as unknown[]).length, 1, 'one payment in the cartera');
}
