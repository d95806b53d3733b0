import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { startReconcileJob } from '../../src/engine/reconcile-job.js';
import { epaycoReferenceList } from '../../src/sources/listing/epayco-references.js';
import { mercadopagoSearchList } from '../../src/sources/listing/mercadopago-search.js';
import type { ProviderList } from '../../src/sources/listing/provider-list.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { startSilentServer, type SilentServer } from './silent-server.js';

/**
 * A provider API that accepts a request and never answers it does not hold a worker's shutdown:
 * the run's signal cuts the request in flight (not only the backoff's wait), and the run is
 * recorded as stopped, resumable from the page it reached, with nothing half-written.
 */
const HOUR = 3_600_000;
/** Far below the lists' own 20 s request timeout, which is what a shutdown waited before. */
const PROMPT_MS = 2_000;

function shutdownSuite(name: string, open: () => Promise<Store>, skip: string | false = false): void {
  describe(`a hanging provider request at shutdown (${name})`, { skip }, () => {
    let store: Store;
    let silent: SilentServer;
    before(async () => {
      store = await open();
      silent = await startSilentServer();
    });
    after(async () => {
      await silent?.close();
      await store?.close();
    });

    const assertStoppedAndResumable = async (source: string) => {
      const state = await store.getReconciliationState(source);
      assert.ok(state?.resume, 'where to resume was kept');
      assert.equal(state.resume.cursor, null, 'from the page it was waiting for');
      assert.equal(state.lastFinishedAt, null);
      assert.match(state.lastError ?? '', /stopped before the end of the window \(shutdown\); the next run resumes it/);
      assert.equal(state.totalRecovered, 0);
      assert.equal(await store.countEvents({ source }), 0, 'nothing half-written');
      const next = await store.claimReconciliationRun({
        source,
        owner: 'next-run',
        now: new Date(),
        leaseUntil: new Date(Date.now() + 60_000),
      });
      assert.deepEqual(next, { claimed: true }, 'its claim was released: the next run may start at once');
      await store.releaseReconciliationRun(source, 'next-run');
    };

    const assertRequestCut = async (abandonedBefore: number) => {
      for (let waited = 0; silent.abandoned() === abandonedBefore && waited < PROMPT_MS; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(silent.abandoned(), abandonedBefore + 1, 'the request itself was cut, not left to time out');
    };

    it("the worker's scheduled run (Stripe): stopping cuts the request, promptly, and records the run as stopped", async () => {
      const job = startReconcileJob({
        store,
        settings: { stripe: { every: '1h', lookBack: '1h', apiBaseUrl: `${silent.url}/stripe`, apiKey: 'sk_test_silent' } },
        kinds: new Map([['stripe', 'stripe']]),
        env: {},
        logger: pino({ level: 'silent' }),
        firstDelayMs: 0,
      });
      const abandonedBefore = silent.abandoned();
      await silent.waitForRequests(1);
      const started = Date.now();
      await job.stop();
      const took = Date.now() - started;
      assert.ok(took < PROMPT_MS, `the shutdown took ${took} ms`);
      await assertRequestCut(abandonedBefore);
      await assertStoppedAndResumable('stripe');
    });

    const lists: Array<[string, (url: string) => ProviderList]> = [
      ['mercadopago', (url) => mercadopagoSearchList({ apiBaseUrl: url, accessToken: 'APP_USR-silent' })],
      ['epayco', (url) => epaycoReferenceList({ validation: { baseUrl: url, timeoutMs: 20_000 }, references: () => ['90001'] })],
    ];
    for (const [source, list] of lists) {
      it(`${source}: the run's signal cuts its request in flight`, async () => {
        const abandonedBefore = silent.abandoned();
        const controller = new AbortController();
        const run = reconcileSource({
          store,
          source,
          list: list(silent.url),
          since: new Date(Date.now() - HOUR),
          signal: controller.signal,
        });
        const outcome = run.then(
          () => null,
          (err: unknown) => err,
        );
        await silent.waitForRequests(2 + lists.findIndex(([name]) => name === source));
        const started = Date.now();
        controller.abort();
        const err = await outcome;
        const took = Date.now() - started;
        assert.equal((err as { code?: string } | null)?.code, 'RECONCILE_STOPPED');
        assert.ok(took < PROMPT_MS, `the run stopped ${took} ms after the abort`);
        await assertRequestCut(abandonedBefore);
        await assertStoppedAndResumable(source);
      });
    }
  });
}

shutdownSuite('SQLite', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
});

const schemas = withTestSchema();
shutdownSuite('PostgreSQL', async () => openMigrated((await schemas.create()).url), await postgresSkip());
