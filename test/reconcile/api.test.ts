import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { at, json, MINUTE, PEOPLE, startApi, type Harness } from '../server/api-harness.js';
import { stripeEvent } from '../helpers/signing.js';

/** The API shows which events reconciliation found, each source's last reconciliation and the dates runs covered. */
describe('GET /api/reconciliation and event origin', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('lists reconciled sources without their API address; an event row says its origin', async () => {
    await h.store.recordProviderApi('mercadopago', 'http://127.0.0.1:9/sandbox/mercadopago'); // never reconciled: not listed
    await h.store.recordProviderApi('stripe', 'http://127.0.0.1:9/sandbox/stripe');
    await h.store.recordReconciliationStart('stripe', at(0), { since: at(-60 * MINUTE), cursor: null });
    await h.store.recordReconciliationProgress('stripe', { since: at(-60 * MINUTE), cursor: null }, 3);
    await h.store.recordReconciliationEnd({
      source: 'stripe',
      now: at(MINUTE),
      listed: 12,
      recovered: 3,
      error: null,
      covered: { by: 'dates', from: at(-60 * MINUTE), until: at(0) },
    });
    // ePayco is looked up by references: it covers no dates.
    await h.store.recordReconciliationStart('epayco', at(0), { since: at(-60 * MINUTE), cursor: null });
    await h.store.recordReconciliationEnd({
      source: 'epayco',
      now: at(MINUTE),
      listed: 2,
      recovered: 0,
      error: null,
      covered: { by: 'references' },
    });
    const event = stripeEvent();
    const { event: found } = await h.store.insertEvent({
      source: 'stripe',
      providerEventId: String(event.id),
      entityKey: null,
      type: 'payment_intent.succeeded',
      transactionStatus: 'accepted',
      occurredAt: at(0),
      receivedAt: at(0),
      rawBody: Buffer.from(JSON.stringify(event)),
      contentType: 'application/json',
      payload: {},
      summary: {},
      origin: 'reconciliation',
    });
    const viewer = await h.session(PEOPLE.viewer);
    const reply = await h.request('GET', '/api/reconciliation', viewer);
    assert.equal(reply.statusCode, 200);
    assert.deepEqual(json(reply), {
      items: [
        {
          source: 'epayco',
          lastStartedAt: at(0).toISOString(),
          lastFinishedAt: at(MINUTE).toISOString(),
          lastListed: 2,
          lastRecovered: 0,
          totalRecovered: 0,
          interrupted: false,
          lastError: null,
          coveredBy: 'references',
          coveredFrom: null,
          coveredUntil: null,
          runningSince: null,
          runningOn: null,
        },
        {
          source: 'stripe',
          lastStartedAt: at(0).toISOString(),
          lastFinishedAt: at(MINUTE).toISOString(),
          lastListed: 12,
          lastRecovered: 3,
          totalRecovered: 3,
          interrupted: false,
          lastError: null,
          coveredBy: 'dates',
          coveredFrom: at(-60 * MINUTE).toISOString(),
          coveredUntil: at(0).toISOString(),
          runningSince: null,
          runningOn: null,
        },
      ],
    });
    assert.doesNotMatch(reply.body, /sandbox/);
    const row = await h.request('GET', `/api/events/${found.id}`, viewer);
    assert.equal(json<{ event: { origin: string } }>(row).event.origin, 'reconciliation');
    assert.equal((await h.request('GET', '/api/reconciliation')).statusCode, 401);
  });

  test('a run in progress after one that failed is not said to be stopped; once its claim has lapsed, it is', async () => {
    const source = 'stripe-progress';
    const interrupted = async () => {
      const reply = await h.request('GET', '/api/reconciliation', await h.session(PEOPLE.viewer));
      return json<{
        items: Array<{
          source: string;
          interrupted: boolean;
          lastError: string | null;
          runningSince: string | null;
          runningOn: string | null;
        }>;
      }>(reply).items.find((item) => item.source === source);
    };
    const since = at(-60 * MINUTE);
    await h.store.recordReconciliationStart(source, at(-10 * MINUTE), { since, cursor: null });
    await h.store.recordReconciliationEnd({ source, now: at(-9 * MINUTE), listed: 0, recovered: 0, error: 'Stripe answered 503' });
    assert.equal((await interrupted())?.interrupted, true, 'the failed run stopped');
    // The next run claims the source and starts: its resume point is its own progress.
    // The owner as src/engine/reconcile-claim.ts writes it: host, pid namespace, pid, id.
    const owner = 'web-1|pid:[4026531836]|4242|6f1c';
    await h.store.claimReconciliationRun({ source, owner, now: at(0), leaseUntil: at(MINUTE) });
    await h.store.recordReconciliationStart(source, at(0), { since, cursor: null }, owner);
    const during = await interrupted();
    assert.equal(during?.interrupted, false, 'in progress, not stopped');
    assert.equal(during?.lastError, 'Stripe answered 503', 'the last error stays until a run ends well');
    // In progress, since when and where: the page says so and that the counts are not final yet.
    assert.deepEqual([during?.runningSince, during?.runningOn], [at(0).toISOString(), 'web-1']);
    h.clock.now = at(2 * MINUTE); // its claim lapsed without renewal: that run died
    const lapsed = await interrupted();
    assert.deepEqual([lapsed?.interrupted, lapsed?.runningSince, lapsed?.runningOn], [true, null, null]);
    h.clock.now = at(0);
    // A run killed with no error recorded, its claim lapsed: stopped too.
    await h.store.claimReconciliationRun({ source: 'stripe-killed', owner: 'gone', now: at(-5 * MINUTE), leaseUntil: at(-4 * MINUTE) });
    await h.store.recordReconciliationStart('stripe-killed', at(-5 * MINUTE), { since, cursor: 'evt_40' }, 'gone');
    const killed = json<{ items: Array<{ source: string; interrupted: boolean; lastError: string | null }> }>(
      await h.request('GET', '/api/reconciliation', await h.session(PEOPLE.viewer)),
    ).items.find((item) => item.source === 'stripe-killed');
    assert.deepEqual([killed?.interrupted, killed?.lastError], [true, null]);
  });
});
