import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { mercadopagoSearchList } from '../../src/sources/listing/mercadopago-search.js';
import type { Store } from '../../src/store/store.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { baseUrlOf } from '../helpers/sandbox-app.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * Windows that overlap: a wider window asked for while an interrupted run waits to be resumed,
 * and two runs at once from two processes' stores on one PostgreSQL database (a worker's job
 * and `webpig reconcile`, or two workers): one runs, the other is refused; each payment becomes one event.
 */
const HOUR = 3_600_000;
const schemas = withTestSchema();
const pgSkip = await postgresSkip();

describe('overlapping reconciliation windows (PostgreSQL)', { skip: pgSkip }, () => {
  let store: Store;
  let other: Store;
  let rig: StripeRig;
  before(async () => {
    const url = (await schemas.create()).url;
    store = await openMigrated(url);
    other = await openMigrated(url);
    rig = await startStripeRig(store);
  });
  after(async () => {
    await rig?.close();
    await other?.close();
    await store?.close();
  });

  it('a wider window asked for while an interrupted run waits is listed whole', async () => {
    const lostEarlier = String((await rig.lostPayment({ created: Math.floor((Date.now() - 2 * HOUR) / 1000) })).id);
    const lostNow = String((await rig.lostPayment()).id);
    // A job's run over the last hour stopped before its first page was recorded.
    await store.recordReconciliationStart('stripe', new Date(Date.now() - 60_000), { since: new Date(Date.now() - HOUR), cursor: null });
    const wider = await reconcileSource({ store, source: 'stripe', list: rig.list(), since: new Date(Date.now() - 3 * HOUR) });
    assert.deepEqual(wider.created.map((e) => e.providerEventId).sort(), [lostEarlier, lostNow].sort());
    assert.equal((await store.getReconciliationState('stripe'))?.resume, null);
  });

  it('two runs at once, each with its own connection pool: the second is refused while the first runs, and each payment becomes one event (Stripe and MercadoPago)', async () => {
    const lostStripe: string[] = [];
    for (let i = 0; i < 30; i++) lostStripe.push(String((await rig.lostPayment()).id));
    const api = `${baseUrlOf(rig.sandbox.app)}/sandbox/mercadopago`;
    const lostMercadopago: string[] = [];
    for (let i = 0; i < 30; i++) {
      const reply = await fetch(`${api}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'approved', transaction_amount: 40_000 + i, currency_id: 'COP' }),
      });
      lostMercadopago.push(String(((await reply.json()) as { id: string }).id));
    }
    const since = new Date(Date.now() - HOUR);
    const mercadopago = () => mercadopagoSearchList({ apiBaseUrl: api, accessToken: 'APP_USR-test', pageSize: 7 });
    const runs = await Promise.allSettled([
      reconcileSource({ store, source: 'stripe', list: rig.list({ pageSize: 7 }), since }),
      reconcileSource({ store: other, source: 'stripe', list: rig.list({ pageSize: 4 }), since }),
      reconcileSource({ store, source: 'mercadopago', list: mercadopago(), since }),
      reconcileSource({ store: other, source: 'mercadopago', list: mercadopago(), since }),
    ]);
    for (const id of lostStripe) {
      const events = (await store.listEvents({ source: 'stripe', text: id })).items.filter((e) => e.providerEventId === id);
      assert.equal(events.length, 1, `one event for ${id}`);
    }
    for (const id of lostMercadopago) {
      assert.equal(
        (await store.listEvents({ source: 'mercadopago', entityKey: `payment:${id}` })).items.length,
        1,
        `one event for payment ${id}`,
      );
    }
    // Per source: the first claim runs; the other, made while it runs, starts nothing.
    for (const [first, second, lost] of [
      [runs[0], runs[1], lostStripe],
      [runs[2], runs[3], lostMercadopago],
    ] as const) {
      const ran = [first, second].filter((run) => run.status === 'fulfilled');
      const refused = [first, second].filter((run) => run.status === 'rejected');
      assert.equal(ran.length, 1, 'one run ran');
      assert.equal(ran[0]?.status === 'fulfilled' && ran[0].value.created.length, lost.length, 'it created each payment');
      assert.equal(refused[0]?.status === 'rejected' && (refused[0].reason as { code?: string }).code, 'RECONCILE_BUSY');
    }
    const states = await Promise.all([store.getReconciliationState('stripe'), store.getReconciliationState('mercadopago')]);
    for (const state of states) {
      assert.equal(state?.resume, null, 'both runs ended');
      assert.equal(state?.lastError, null);
    }
    assert.ok((states[0]?.totalRecovered ?? 0) >= lostStripe.length);
  });
});
