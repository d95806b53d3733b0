/**
 * MercadoPago's "duplicate" (docs/reconcile.md): a notification is a poke that names a payment,
 * not its state, so a notification arriving after reconciliation found the payment — or during
 * the run — is a second event of the same entity, never merged with the found one (a later
 * notification may announce a CHANGED payment). What must not happen twice is the effect: the
 * example pipeline (examples/mercadopago-payments) re-reads the payment, and its effects are keyed
 * by payment, so the shop's record is written once and the customer is tagged once. Real HTTP
 * (the webhook route, the sandbox's MercadoPago and GoHighLevel), the real worker, both stores.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { mercadopagoPaymentsPipeline } from '../../examples/mercadopago-payments/pipeline.js';
import { PaymentStore } from '../../examples/mercadopago-payments/payment-store.js';
import type { EventRecord } from '../../src/core/types.js';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { createWorker, type Worker } from '../../src/engine/worker.js';
import { mercadopagoSearchList } from '../../src/sources/listing/mercadopago-search.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { baseUrlOf, startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';
import { sendDelivery, signMercadopago, TEST_SECRETS } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

const SOURCE = 'mercadopago-payments';

function effectsSuite(name: string, openStore: () => Promise<Store>, skip: string | false = false): void {
  describe(`MercadoPago: a late or concurrent notification does no effect twice (${name})`, { skip }, () => {
    let store: Store;
    let server: IngestServer;
    let sandbox: SandboxApp;
    let worker: Worker;
    let shop: PaymentStore;
    let shopDir: { dir: string; remove: () => void };
    let seq = 0;
    let mpApi: string;

    before(async () => {
      store = await openStore();
      sandbox = await startSandboxApp({ listen: true });
      const base = baseUrlOf(sandbox.app);
      mpApi = `${base}/sandbox/mercadopago`;
      shopDir = tempDatabaseDir('shop-payments-');
      shop = new PaymentStore(join(shopDir.dir, 'shop.db'));
      server = await startIngestServer({
        store,
        closeStore: false,
        sources: [{ name: SOURCE, kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] }],
      });
      worker = createWorker({
        store,
        pipelines: [
          {
            ...mercadopagoPaymentsPipeline({
              mercadopagoApiUrl: mpApi,
              mercadopagoAccessToken: 'TEST-token',
              payments: shop,
              gohighlevel: { baseUrl: `${base}/sandbox/gohighlevel`, token: 'ghl-test-token', locationId: 'loc-1' },
            }),
            retry: { delaysMs: [0, 0, 0] },
          },
        ],
        concurrency: 8,
        pollMs: 20,
        logger: pino({ level: 'silent' }),
      });
      worker.start();
    });
    after(async () => {
      await server?.close();
      await worker?.stop();
      await sandbox?.close();
      shop?.close();
      shopDir?.remove();
      await store?.close();
    });

    /** A payment at MercadoPago whose notification never arrived. */
    async function lostPayment(id: number, status = 'approved'): Promise<void> {
      const reply = await sandbox.app.inject({
        method: 'POST',
        url: '/sandbox/mercadopago/payments',
        payload: {
          id,
          status,
          transaction_amount: 89000,
          currency_id: 'COP',
          external_reference: `ORDER-${id}`,
          payer: { email: `cliente.${id}@example.com` },
        },
      });
      assert.ok(reply.statusCode < 300, reply.body);
    }

    /** MercadoPago's notification about the payment (its own x-request-id): a new delivery, never a duplicate. */
    async function notify(id: number): Promise<number> {
      seq++;
      const signed = signMercadopago({
        secret: TEST_SECRETS.mercadopago,
        dataId: String(id),
        requestId: `req-${name}-${id}-${seq}`,
        body: {
          id: 70_000 + seq,
          live_mode: true,
          type: 'payment',
          action: 'payment.updated',
          date_created: new Date().toISOString(),
          data: { id: String(id) },
        },
      });
      const reply = await sendDelivery(server.baseUrl, SOURCE, signed);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.notEqual(reply.body.status, 'duplicate', 'a notification is a new delivery, even about a found payment');
      return reply.body.id as number;
    }

    const reconcile = (through: Store = store) =>
      reconcileSource({
        store: through,
        source: SOURCE,
        since: new Date(Date.now() - 3_600_000),
        backoffMs: [5],
        list: mercadopagoSearchList({ apiBaseUrl: mpApi, accessToken: 'APP_USR-test', pageSize: 50 }),
      });

    async function settled(id: number): Promise<EventRecord[]> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const events = (await store.listEvents({ source: SOURCE, entityKey: `payment:${id}` })).items;
        if (events.every((e) => e.status === 'succeeded' || e.status === 'dead' || e.status === 'ignored')) return events;
        if (Date.now() > deadline)
          throw new Error(`payment ${id}: events still unfinished: ${events.map((e) => `${e.id} ${e.status}`).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    /** The effects, counted where they land: shop writes that changed the record, GoHighLevel tag requests. */
    async function effectsOf(id: number, events: EventRecord[]) {
      let shopWrites = 0;
      for (const event of events) {
        const outcome = (
          (await store.getCheckpoints(event.id)).find((c) => c.stage === 'update_shop_payment')?.data as { outcome?: string } | undefined
        )?.outcome;
        if (outcome === 'created' || outcome === 'updated') shopWrites++;
      }
      const contacts = sandbox.store.list('gohighlevel', 'contacts').filter((c) => String(c.email) === `cliente.${id}@example.com`);
      return { shopWrites, contacts: contacts.length, tagRequests: contacts.reduce((sum, c) => sum + Number(c.tagRequests ?? 0), 0) };
    }

    it('a notification arriving after reconciliation found the payment: a second event, one shop update, one tag', async () => {
      const id = 610_001;
      shop.createOrder(`ORDER-${id}`, 89000, 'COP', new Date());
      await lostPayment(id);
      const run = await reconcile();
      assert.deepEqual(
        run.created.map((e) => e.entityKey),
        [`payment:${id}`],
      );
      await settled(id);
      await notify(id);
      const events = await settled(id);
      assert.deepEqual(events.map((e) => [e.origin, e.status]).sort(), [
        ['reconciliation', 'succeeded'],
        ['webhook', 'succeeded'],
      ]);
      assert.deepEqual(await effectsOf(id, events), { shopWrites: 1, contacts: 1, tagRequests: 1 });
      assert.equal(shop.get(`ORDER-${id}`)?.status, 'approved');

      // Why the two are not merged: a later notification may announce a changed payment, and it is processed.
      await lostPayment(id, 'refunded');
      await notify(id);
      await settled(id);
      assert.equal(shop.get(`ORDER-${id}`)?.status, 'refunded', 'a notification after reconciliation is never lost');
    });

    it('a notification committed during the run, between its look-up and its insert: two events, one shop update, one tag', async () => {
      const id = 610_002;
      await lostPayment(id);
      // The worst interleaving, forced: the webhook commits after reconciliation looked the
      // payment up and found nothing, just before reconciliation inserts its own event.
      let notified: number | null = null;
      const racing = new Proxy(store, {
        get(target, key) {
          const value = Reflect.get(target, key) as unknown;
          if (key !== 'insertEvent') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          return async (...args: Parameters<Store['insertEvent']>) => {
            notified ??= await notify(id);
            return target.insertEvent(...args);
          };
        },
      });
      const run = await reconcile(racing);
      assert.ok(notified !== null, 'the notification arrived during the run');
      assert.deepEqual(
        run.created.map((e) => e.entityKey),
        [`payment:${id}`],
      );
      const events = await settled(id);
      assert.equal(events.length, 2);
      assert.ok(
        events.every((e) => e.status === 'succeeded'),
        JSON.stringify(events.map((e) => e.lastError)),
      );
      assert.deepEqual(await effectsOf(id, events), { shopWrites: 1, contacts: 1, tagRequests: 1 });
      assert.equal(shop.get(`ORDER-${id}`)?.status, 'approved');
    });
  });
}

effectsSuite('SQLite', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
});

const schemas = withTestSchema();
const pgSkip = await postgresSkip();
effectsSuite('PostgreSQL', async () => openMigrated((await schemas.create()).url), pgSkip);
