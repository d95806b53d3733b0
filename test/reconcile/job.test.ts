import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { CLAIM_LOST_LOG, startReconcileJob } from '../../src/engine/reconcile-job.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/** The worker's scheduled reconciliation, against the sandbox's Stripe over HTTP. */
describe('scheduled reconciliation', () => {
  let store: SqliteStore;
  let rig: StripeRig;
  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    rig = await startStripeRig(store, { maxHangMs: 1_500 });
  });
  after(async () => {
    await rig?.close();
    await store?.close();
  });
  const startJob = () =>
    startReconcileJob({
      store,
      settings: { stripe: { every: '1s', lookBack: '1h', apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_job' } },
      kinds: new Map([['stripe', 'stripe']]),
      env: {},
      logger: pino({ level: 'silent' }),
      firstDelayMs: 0,
    });

  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    for (let waited = 0; waited < 15_000; waited += 50) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  it('finds the payments whose webhooks were lost, each once, run after run', async () => {
    const lost = [await rig.lostPayment(), await rig.lostPayment()];
    const job = startJob();
    try {
      await waitFor('the lost payments', async () => (await store.countEvents({ source: 'stripe' })) === 2);
      const third = await rig.lostPayment();
      await waitFor('a payment lost later', async () => (await store.findEventByProviderId('stripe', String(third.id))) !== null);
      await new Promise((resolve) => setTimeout(resolve, 1_200)); // one more run: nothing new
    } finally {
      await job.stop();
    }
    assert.equal(await store.countEvents({ source: 'stripe' }), 3);
    for (const event of lost) assert.equal((await store.findEventByProviderId('stripe', String(event.id)))?.origin, 'reconciliation');
    const state = await store.getReconciliationState('stripe');
    assert.equal(state?.totalRecovered, 3);
    assert.ok(state?.lastFinishedAt);
  });

  it('never blocks ingestion: webhooks are stored while the provider hangs', async () => {
    await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'timeout', count: 1 });
    const job = startJob();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200)); // the job's request is held by the sandbox
      const started = Date.now();
      const reply = await rig.deliver((await rig.deliveredPayment()) as Record<string, unknown>);
      assert.equal(reply.status, 200);
      assert.ok(Date.now() - started < 1_000, `the webhook was answered in ${Date.now() - started} ms`);
    } finally {
      await job.stop();
    }
  });

  it('a second worker leaves alone a source whose run another worker has in flight', async () => {
    const kinds = new Map([['stripe-two', 'stripe' as const]]);
    const settings = { 'stripe-two': { every: '1h', lookBack: '1h', apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_job' } };
    const startWorkerJob = () => startReconcileJob({ store, settings, kinds, env: {}, logger: pino({ level: 'silent' }), firstDelayMs: 0 });
    await rig.lostPayment();
    rig.sandbox.store.clearFaults(); // only this one: the first worker's listing hangs, the second's would not
    await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'timeout', count: 1 });
    const first = startWorkerJob();
    let second: ReturnType<typeof startReconcileJob> | undefined;
    try {
      await waitFor('the first worker to start its run', async () => (await store.getReconciliationState('stripe-two'))?.resume != null);
      second = startWorkerJob(); // its first round comes while the first worker's listing hangs
      await new Promise((resolve) => setTimeout(resolve, 600));
      const state = await store.getReconciliationState('stripe-two');
      assert.equal(state?.lastFinishedAt, null, 'the second worker did not take over the run in flight');
      assert.equal(await store.countEvents({ source: 'stripe-two' }), 0);
    } finally {
      await second?.stop();
      await first.stop();
    }
  });

  it('skips, quietly, a source whose run another process holds (`webpig reconcile` by hand), and runs it once released', async () => {
    const settings = { 'stripe-three': { every: '1s', lookBack: '1h', apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_job' } };
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const lost = await rig.lostPayment();
    const held = await store.claimReconciliationRun({
      source: 'stripe-three',
      owner: 'a command run by hand',
      now: new Date(),
      leaseUntil: new Date(Date.now() + 60_000),
    });
    assert.deepEqual(held, { claimed: true });
    const job = startReconcileJob({ store, settings, kinds: new Map([['stripe-three', 'stripe']]), env: {}, logger, firstDelayMs: 0 });
    try {
      await waitFor('a round', async () => lines.some((line) => line.msg === 'reconciliation skipped: another run is in progress'));
      assert.equal(await store.countEvents({ source: 'stripe-three' }), 0);
      assert.deepEqual(
        lines.filter((line) => line.level >= 40),
        [],
        'a run in progress elsewhere is no failure',
      );
      await store.releaseReconciliationRun('stripe-three', 'a command run by hand');
      await waitFor('the run once released', async () => (await store.findEventByProviderId('stripe-three', String(lost.id))) !== null);
    } finally {
      await job.stop();
    }
  });

  it("a worker's run that another run took over logs that the run goes on there (no alert); a run that failed logs that the next run resumes it (and alerts)", async () => {
    const lines: Array<{ level: number; msg: string; source?: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const settings = (source: string) => ({
      [source]: { every: '1h', lookBack: '1h', apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_job' },
    });
    const failedAlert = async (source: string) =>
      (await store.listAlerts({ unresolvedOnly: true })).items.find(
        (a) => a.details?.alert === 'reconcile_failed' && a.details.source === source,
      );
    await rig.lostPayment();
    rig.sandbox.store.clearFaults();

    // The worker's listing hangs (until the sandbox answers 504, 1.5 s later); meanwhile a run
    // elsewhere, whose clock says this one's claim is long over, takes the source.
    await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'timeout', count: 1 });
    const taken = startReconcileJob({
      store,
      settings: settings('stripe-taken'),
      kinds: new Map([['stripe-taken', 'stripe']]),
      env: {},
      logger,
      firstDelayMs: 0,
    });
    try {
      await waitFor('the run to start', async () => (await store.getReconciliationState('stripe-taken'))?.resume != null);
      const later = new Date(Date.now() + 3_600_000);
      const takeover = await store.claimReconciliationRun({
        source: 'stripe-taken',
        owner: 'another worker',
        now: later,
        leaseUntil: new Date(later.getTime() + 60_000),
      });
      assert.deepEqual(takeover, { claimed: true });
      await waitFor('the worker to find its claim taken', async () =>
        lines.some((line) => line.source === 'stripe-taken' && line.msg.startsWith('reconciliation ')),
      );
    } finally {
      await taken.stop();
    }
    // (It met the 504 first: 'provider API failed; trying again'.)
    const takenLines = lines
      .filter((line) => line.source === 'stripe-taken' && line.msg.startsWith('reconciliation '))
      .map((line) => line.msg);
    assert.deepEqual(takenLines, [CLAIM_LOST_LOG]);
    assert.match(CLAIM_LOST_LOG, /another run took the source; that run continues/);
    assert.doesNotMatch(CLAIM_LOST_LOG, /next run/);
    assert.equal(await failedAlert('stripe-taken'), undefined, 'the run goes on elsewhere: nothing to alert');

    // A run that fails (the key refused): the next run is what resumes it.
    await rig.fault({ service: 'stripe', operation: 'list_events', mode: 'error', status: 401 });
    const failing = startReconcileJob({
      store,
      settings: settings('stripe-refused'),
      kinds: new Map([['stripe-refused', 'stripe']]),
      env: {},
      logger,
      firstDelayMs: 0,
    });
    try {
      await waitFor('the run to fail', async () => lines.some((line) => line.source === 'stripe-refused' && line.level >= 40));
    } finally {
      await failing.stop();
    }
    assert.deepEqual(
      lines.filter((line) => line.source === 'stripe-refused' && line.level >= 40).map((line) => line.msg),
      ['reconciliation failed; the next run resumes it'],
    );
    assert.ok(await failedAlert('stripe-refused'), 'the failed run raised its alert');
  });

  it('a Stripe lookBack of the 30 days Stripe keeps is listed round after round without a warning (further back, the config refuses it)', async () => {
    const warnings: string[] = [];
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          warnings.push(String((JSON.parse(line) as { msg?: unknown }).msg));
        },
      },
    );
    const finishedRuns = new Set<number>();
    const job = startReconcileJob({
      store,
      settings: { 'stripe-month': { every: '1s', lookBack: '30d', apiBaseUrl: rig.stripeApiUrl, apiKey: 'sk_test_job' } },
      kinds: new Map([['stripe-month', 'stripe']]),
      env: {},
      logger,
      firstDelayMs: 0,
    });
    try {
      await waitFor('three finished rounds', async () => {
        const finished = (await store.getReconciliationState('stripe-month'))?.lastFinishedAt;
        if (finished) finishedRuns.add(finished.getTime());
        return finishedRuns.size >= 3;
      });
    } finally {
      await job.stop();
    }
    // (Events of the account new to this source are found and warned of: that is not about the window.)
    assert.deepEqual(
      warnings.filter((message) => /reaches back/.test(message)),
      [],
      'no warning of a cut window in any round',
    );
  });

  it('refuses to start for a source the service does not have, saying what configures it', () => {
    const start = (source: string, kinds: Map<string, 'stripe' | 'mercadopago'>) => () =>
      startReconcileJob({
        store,
        settings: { [source]: {} },
        kinds,
        env: { WEBPIG_STRIPE_API_KEY: 'sk_test_job' },
        logger: pino({ level: 'silent' }),
      });
    // docs/reconcile.md's config without WEBPIG_STRIPE_WEBHOOK_SECRET: no `stripe` source.
    assert.throws(start('stripe', new Map([['shop_mp', 'mercadopago']])), {
      code: 'CONFIG_INVALID',
      message:
        'reconcile.stripe: no source named "stripe" is configured (the sources are shop_mp), so none of its webhooks is received and nothing found could run: ' +
        'set WEBPIG_STRIPE_WEBHOOK_SECRET (the built-in stripe source), or remove reconcile.stripe',
    });
    assert.throws(start('shop', new Map()), {
      message: /no source named "shop" is configured \(the sources are none\).*add a source named "shop", or remove reconcile\.shop$/,
    });
  });

  it('refuses to start without the provider credential, naming the variable', () => {
    assert.throws(
      () =>
        startReconcileJob({
          store,
          settings: { stripe: {} },
          kinds: new Map([['stripe', 'stripe']]),
          env: {},
          logger: pino({ level: 'silent' }),
        }),
      { message: /set WEBPIG_STRIPE_API_KEY/ },
    );
  });
});
