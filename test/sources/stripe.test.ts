import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Stripe from 'stripe';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { type StripeSourceConfig } from '../../src/sources/config.js';
import { createStripeAdapter } from '../../src/sources/stripe.js';
import type { EventRecord } from '../../src/core/types.js';
import { stripeOrdersPipeline } from '../../examples/stripe-orders/index.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { signStripe, stripeEvent, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

const [config] = parseSourceConfigs([{ name: 'stripe', kind: 'stripe', secrets: [TEST_SECRETS.stripe, TEST_SECRETS.stripeOld] }]) as [
  StripeSourceConfig,
];
const adapter = createStripeAdapter(config);
const now = new Date('2025-06-01T12:00:00Z');

describe('stripe adapter', () => {
  it('accepts an event signed by the stripe package and reads its identity', async () => {
    const event = stripeEvent({ id: 'evt_1', created: 1748779000 });
    const signed = signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: now });
    const delivery = await adapter.verify(toIncoming(signed), now);
    assert.equal(delivery.providerEventId, 'evt_1');
    assert.equal(delivery.entityKey, 'pi_test_1');
    assert.equal(delivery.type, 'payment_intent.succeeded');
    assert.equal(delivery.transactionStatus, 'accepted');
    assert.equal(delivery.occurredAt.getTime(), 1748779000 * 1000);
    assert.deepEqual(delivery.summary.customer, { email: 'juan@example.com' });
    assert.equal(delivery.summary.amount, 1500);
    assert.equal(delivery.summary.currency, 'COP');
    assert.deepEqual(delivery.summary.product, { name: 'Membresía Elite' });
    assert.equal(delivery.summary.references?.invoice, 'INV-1');
  });

  it('the header made by generateTestHeaderString itself is accepted', async () => {
    const payload = JSON.stringify(stripeEvent({ id: 'evt_raw' }));
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: TEST_SECRETS.stripe,
      timestamp: Math.floor(now.getTime() / 1000),
    });
    const delivery = await adapter.verify(
      toIncoming({ method: 'POST', query: '', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload }),
      now,
    );
    assert.equal(delivery.providerEventId, 'evt_raw');
  });

  it('resolves a checkout session to its payment intent and reads unpaid as pending', async () => {
    const event = stripeEvent({
      type: 'checkout.session.completed',
      object: {
        id: 'cs_test_1',
        object: 'checkout.session',
        payment_intent: 'pi_from_session',
        payment_status: 'unpaid',
        amount_total: 5000,
        currency: 'jpy',
        client_reference_id: 'order-9',
        customer_details: { name: 'Ana', email: 'ana@example.com', phone: '+57300' },
      },
    });
    const delivery = await adapter.verify(toIncoming(signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: now })), now);
    assert.equal(delivery.entityKey, 'pi_from_session');
    assert.equal(delivery.transactionStatus, 'pending');
    assert.equal(delivery.summary.amount, 5000, 'JPY has no minor unit');
    assert.deepEqual(delivery.summary.customer, { name: 'Ana', email: 'ana@example.com', phone: '+57300' });
    assert.equal(delivery.summary.references?.clientReferenceId, 'order-9');
  });

  it("a charge's entity is its payment intent; a refund is reversed", async () => {
    const event = stripeEvent({
      type: 'charge.refunded',
      object: { id: 'ch_1', object: 'charge', payment_intent: 'pi_9', amount: 100, currency: 'usd' },
    });
    const delivery = await adapter.verify(toIncoming(signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: now })), now);
    assert.equal(delivery.entityKey, 'pi_9');
    assert.equal(delivery.transactionStatus, 'reversed');
  });

  it('accepts the previous secret during rotation, alone or beside the new one', async () => {
    const event = stripeEvent({ id: 'evt_rot' });
    const old = signStripe({ payload: event, secret: TEST_SECRETS.stripeOld, timestamp: now });
    assert.equal((await adapter.verify(toIncoming(old), now)).providerEventId, 'evt_rot');
    const both = signStripe({ payload: event, secret: ['whsec_unknown', TEST_SECRETS.stripe], timestamp: now });
    assert.equal((await adapter.verify(toIncoming(both), now)).providerEventId, 'evt_rot');
  });

  it('ignores a test-mode v0 signature and accepts only v1 (no downgrade)', async () => {
    const signed = signStripe({ payload: stripeEvent({ id: 'evt_v0' }), secret: TEST_SECRETS.stripe, timestamp: now });
    const withV0 = `${signed.headers['stripe-signature']},v0=${'0'.repeat(64)}`;
    const delivery = await adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'stripe-signature': withV0 } }), now);
    assert.equal(delivery.providerEventId, 'evt_v0');
    const v0Only = Stripe.webhooks.generateTestHeaderString({
      payload: signed.body,
      secret: TEST_SECRETS.stripe,
      timestamp: Math.floor(now.getTime() / 1000),
      scheme: 'v0',
    });
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'stripe-signature': v0Only } }), now),
      'SIGNATURE_INVALID',
      401,
    );
  });

  it('refuses a wrong secret, a forged signature and a body changed by one byte (401)', async () => {
    const event = stripeEvent();
    const wrong = signStripe({ payload: event, secret: 'whsec_wrong', timestamp: now });
    await rejectsWith(adapter.verify(toIncoming(wrong), now), 'SIGNATURE_INVALID', 401);
    const signed = signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: now });
    const forgedHeader = signed.headers['stripe-signature']!.replace(/v1=[0-9a-f]/, (m) => (m.endsWith('0') ? 'v1=1' : 'v1=0'));
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'stripe-signature': forgedHeader } }), now),
      'SIGNATURE_INVALID',
      401,
    );
    const changed = signed.body.replace('"livemode":true', '"livemode":ture');
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: changed }), now), 'SIGNATURE_INVALID', 401);
    const oneByte = Buffer.from(signed.body);
    oneByte[oneByte.length - 2] = (oneByte[oneByte.length - 2] ?? 0) ^ 1;
    await rejectsWith(adapter.verify(toIncoming(signed, { rawBody: oneByte }), now), 'SIGNATURE_INVALID', 401);
  });

  it('refuses a timestamp older than 300 s and one more than 300 s in the future', async () => {
    const event = stripeEvent();
    const stale = signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: new Date(now.getTime() - 301_000) });
    await rejectsWith(adapter.verify(toIncoming(stale), now), 'TIMESTAMP_OUT_OF_TOLERANCE', 401);
    const future = signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: new Date(now.getTime() + 301_000) });
    await rejectsWith(adapter.verify(toIncoming(future), now), 'TIMESTAMP_OUT_OF_TOLERANCE', 401);
    const nearFuture = signStripe({ payload: event, secret: TEST_SECRETS.stripe, timestamp: new Date(now.getTime() + 200_000) });
    await adapter.verify(toIncoming(nearFuture), now);
  });

  it('refuses a missing or garbled Stripe-Signature header (401)', async () => {
    const signed = signStripe({ payload: stripeEvent(), secret: TEST_SECRETS.stripe, timestamp: now });
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { 'content-type': 'application/json' } }), now),
      'SIGNATURE_MISSING',
      401,
    );
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'stripe-signature': 'garbage' } }), now),
      'SIGNATURE_INVALID',
      401,
    );
  });

  it('refuses a signed body that is not JSON (400) and a wrong content type (415)', async () => {
    const notJson = signStripe({ payload: '{"id":"evt_1",', secret: TEST_SECRETS.stripe, timestamp: now });
    await rejectsWith(adapter.verify(toIncoming(notJson), now), 'MALFORMED_BODY', 400);
    const signed = signStripe({ payload: stripeEvent(), secret: TEST_SECRETS.stripe, timestamp: now });
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'content-type': 'text/plain' } }), now),
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
  });
});

describe('Stripe test events on a source that is not in test mode', () => {
  // The test endpoint's secret listed beside the live one (as during setup): Stripe signs its test
  // events (livemode: false) with it, and a test card makes one for anyone with the checkout.
  const [setup] = parseSourceConfigs([{ name: 'stripe', kind: 'stripe', secrets: ['whsec_live', 'whsec_test'] }]) as [StripeSourceConfig];
  const both = createStripeAdapter(setup);
  const testEvent = () => stripeEvent({ id: 'evt_test_1', created: 1748779000, livemode: false, type: 'payment_intent.succeeded' });

  it('a livemode: false event is kept with no transaction status, its type and data out of the top level', async () => {
    const delivery = await both.verify(toIncoming(signStripe({ payload: testEvent(), secret: 'whsec_test', timestamp: now })), now);
    assert.equal(delivery.transactionStatus, null, 'no money moved');
    assert.equal(delivery.type, 'test_event', 'no Stripe type: a pipeline matching payment_intent.succeeded does not act on it');
    assert.equal(delivery.providerEventId, 'evt_test_1', "the same dedupe key: Stripe's retries are duplicates");
    const payload = delivery.payload as Record<string, unknown>;
    assert.equal(payload.type, undefined, 'a pipeline reading the payload type finds none');
    assert.equal(payload.data, undefined);
    assert.equal((payload.testEvent as Record<string, unknown>).type, 'payment_intent.succeeded');
    assert.equal(delivery.summary.references?.testEvent, 'true');
    assert.equal(delivery.summary.references?.testEventType, 'payment_intent.succeeded');
    // The example's shop pipeline, which matches Stripe's types and reads the payload's, leaves it alone.
    const shop = stripeOrdersPipeline({ shopBaseUrl: 'http://127.0.0.1:9', alerts: { recordAlert: async () => undefined as never } });
    const asStored = (d: typeof delivery) => ({ source: 'stripe', type: d.type, payload: d.payload }) as EventRecord;
    assert.equal(shop.match(asStored(delivery)), false, 'no pipeline acts on a test event');
    // An event without livemode is not as Stripe sends one: no payment either.
    const unmarked: Record<string, unknown> = { ...testEvent(), id: 'evt_unmarked' };
    delete unmarked.livemode;
    const none = await both.verify(toIncoming(signStripe({ payload: unmarked, secret: 'whsec_live', timestamp: now })), now);
    assert.equal(none.transactionStatus, null);
  });

  it('a live event is a payment whichever secret signed it', async () => {
    const live = stripeEvent({ id: 'evt_live_1', livemode: true });
    const delivery = await both.verify(toIncoming(signStripe({ payload: live, secret: 'whsec_live', timestamp: now })), now);
    assert.equal(delivery.transactionStatus, 'accepted');
    assert.equal(delivery.type, 'payment_intent.succeeded');
    assert.equal(delivery.summary.references?.testEvent, undefined);
    const shop = stripeOrdersPipeline({ shopBaseUrl: 'http://127.0.0.1:9', alerts: { recordAlert: async () => undefined as never } });
    assert.equal(shop.match({ source: 'stripe', type: delivery.type, payload: delivery.payload } as EventRecord), true);
  });

  it('with testMode: true, a test event is a payment, and a live one still is (real money moved)', async () => {
    const [testing] = parseSourceConfigs([{ name: 'stripe', kind: 'stripe', secrets: ['whsec_test'], testMode: true }]) as [
      StripeSourceConfig,
    ];
    const adapterInTestMode = createStripeAdapter(testing);
    const test = await adapterInTestMode.verify(
      toIncoming(signStripe({ payload: testEvent(), secret: 'whsec_test', timestamp: now })),
      now,
    );
    assert.equal(test.transactionStatus, 'accepted');
    assert.equal((test.payload as Record<string, unknown>).type, 'payment_intent.succeeded');
    const live = stripeEvent({ id: 'evt_live_2', livemode: true });
    const delivery = await adapterInTestMode.verify(toIncoming(signStripe({ payload: live, secret: 'whsec_test', timestamp: now })), now);
    assert.equal(delivery.transactionStatus, 'accepted');
  });
});
