import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.js';
import type { AlertRecord } from '../../src/core/types.js';
import { startService, type RunningService } from '../../src/service/start.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * The worker as `webpig worker` starts it (startService, the config resolved once): its periodic
 * alert check is given the config's reconcile schedule. A worker back after being down longer
 * than 3 × every raises "reconciliation overdue" at once — nothing looked for lost payments
 * meanwhile — and its own first scheduled run (5 s after start), finishing, resolves it.
 */
const MINUTE = 60_000;

function workerSuite(name: string, open: () => Promise<Store>, skip: string | false = false) {
  describe(`the worker watches its reconcile schedule (${name})`, { skip }, () => {
    let store: Store;
    let rig: StripeRig;
    let service: RunningService | undefined;
    before(async () => {
      store = await open();
      rig = await startStripeRig(store);
    });
    after(async () => {
      // The service (its reconcile job first) stops before the sandbox it lists; it closes the store it was given.
      if (service) await service.stop();
      else await store?.close();
      await rig?.close();
    });

    const overdue = async (): Promise<AlertRecord[]> =>
      (await store.listAlerts()).items.filter((a) => a.subject === 'reconcile-overdue:stripe');
    const waitFor = async (what: string, ready: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await ready())) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    it('down for 10 minutes with every 1m: overdue as it starts, resolved by its first run', async () => {
      // The last run finished 10 minutes ago, then the worker was down.
      const finishedAt = new Date(Date.now() - 10 * MINUTE);
      const owner = 'web-1|pid:[1]|1|before';
      await store.claimReconciliationRun({ source: 'stripe', owner, now: finishedAt, leaseUntil: new Date(finishedAt.getTime() + MINUTE) });
      await store.recordReconciliationStart(
        'stripe',
        finishedAt,
        { since: new Date(finishedAt.getTime() - 60 * MINUTE), cursor: null },
        owner,
      );
      assert.ok(await store.recordReconciliationEnd({ source: 'stripe', now: finishedAt, listed: 0, recovered: 0, error: null }, owner));
      await store.releaseReconciliationRun('stripe', owner);

      const env = { WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_overdue_test' };
      const config = resolveConfig(
        {
          sources: [],
          pipelines: [],
          reconcile: { stripe: { every: '1m', lookBack: '1h', apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_overdue' } },
          alerts: { checkEverySeconds: 1 },
        },
        'test',
        { env, sources: 'file-and-environment' },
      );
      service = await startService({ store, config, http: false, worker: true, env, logLevel: 'silent' });

      await waitFor('the overdue alert', async () => (await overdue()).length > 0);
      const [raised] = await overdue();
      assert.deepEqual(
        [raised?.details?.since, raised?.details?.every, raised?.details?.everFinished],
        [finishedAt.toISOString(), '1m', true],
      );
      await waitFor('its first run to finish and resolve it', async () => (await overdue()).every((a) => a.resolvedAt !== null));
      const state = await store.getReconciliationState('stripe');
      assert.ok(state?.lastFinishedAt && state.lastFinishedAt > finishedAt, 'resolved by a run that finished');
      // The check, every second, raises nothing new while the runs keep finishing.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal((await overdue()).length, 1);
    });
  });
}

workerSuite('SQLite', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
});

const schemas = withTestSchema();
workerSuite('PostgreSQL', async () => openMigrated((await schemas.create()).url), await postgresSkip());
