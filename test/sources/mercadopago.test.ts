import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { type MercadopagoSourceConfig } from '../../src/sources/config.js';
import { createMercadopagoAdapter, mercadopagoManifest } from '../../src/sources/mercadopago.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { mercadopagoBody, signMercadopago, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

function mpConfig(extra: Record<string, unknown> = {}): MercadopagoSourceConfig {
  return parseSourceConfigs([
    {
      name: 'mercadopago',
      kind: 'mercadopago',
      secrets: [TEST_SECRETS.mercadopago, TEST_SECRETS.mercadopagoOld],
      toleranceSeconds: 300,
      ...extra,
    },
  ])[0] as MercadopagoSourceConfig;
}

const adapter = createMercadopagoAdapter(mpConfig());
const now = new Date('2025-06-01T12:00:00Z');
const sign = (options: Partial<Parameters<typeof signMercadopago>[0]> = {}) =>
  signMercadopago({
    secret: TEST_SECRETS.mercadopago,
    body: mercadopagoBody(),
    dataId: '123456789',
    query: { type: 'payment' },
    requestId: 'req-1',
    timestamp: now,
    ...options,
  });

describe('mercadopago adapter', () => {
  it('builds the manifest with absent parts removed', () => {
    assert.equal(mercadopagoManifest({ dataId: 'a', requestId: 'r', ts: '1' }), 'id:a;request-id:r;ts:1;');
    assert.equal(mercadopagoManifest({ requestId: 'r', ts: '1' }), 'request-id:r;ts:1;');
    assert.equal(mercadopagoManifest({ dataId: 'a', ts: '1' }), 'id:a;ts:1;');
  });

  it('accepts a signed notification and reads its identity', async () => {
    const delivery = await adapter.verify(toIncoming(sign()), now);
    assert.equal(delivery.providerEventId, '123456789:req-1', 'signed parts only: data.id and x-request-id');
    assert.equal(delivery.entityKey, 'payment:123456789');
    assert.equal(delivery.type, 'payment.updated');
    assert.equal(delivery.transactionStatus, null);
    assert.equal(delivery.occurredAt.toISOString(), '2025-01-27T19:30:00.000Z');
    assert.equal(delivery.summary.references?.mercadopagoId, '123456789');
  });

  it('the type names the topic even when the action is bare (subscriptions send `updated`)', async () => {
    const bare = await adapter.verify(
      toIncoming(sign({ body: { id: 1, type: 'subscription_preapproval', action: 'updated', data: { id: '123456789' } } })),
      now,
    );
    assert.equal(bare.type, 'subscription_preapproval.updated');
    const none = await adapter.verify(toIncoming(sign({ body: { id: 2, type: 'payment', data: { id: '123456789' } } })), now);
    assert.equal(none.type, 'payment.notification');
  });

  it('a retry of one notification has the same id; another notification about the payment does not', async () => {
    const first = await adapter.verify(toIncoming(sign()), now);
    const retry = await adapter.verify(toIncoming(sign({ timestamp: new Date(now.getTime() + 60_000) })), now);
    const next = await adapter.verify(toIncoming(sign({ requestId: 'req-2' })), now);
    assert.equal(retry.providerEventId, first.providerEventId, 'the same x-request-id, signed again later');
    assert.notEqual(next.providerEventId, first.providerEventId);
    assert.equal(next.entityKey, first.entityKey);
  });

  it('a captured notification replayed with another body id, type or action is the same event (the body is not signed)', async () => {
    const signed = sign();
    const first = await adapter.verify(toIncoming(signed), now);
    const bodies = [
      mercadopagoBody({ notificationId: 99999 }),
      mercadopagoBody({ notificationId: 99998, action: 'payment.created' }),
      mercadopagoBody({ notificationId: 99997, type: 'subscription_preapproval' }),
    ];
    for (const body of bodies) {
      const replay = await adapter.verify(toIncoming({ ...signed, body: JSON.stringify(body) }), now);
      assert.equal(replay.providerEventId, first.providerEventId, JSON.stringify(body));
    }
    // Without x-request-id the signed ts tells notifications apart.
    const bare = sign({ requestId: null });
    const bareFirst = await adapter.verify(toIncoming(bare), now);
    assert.equal(bareFirst.providerEventId, `123456789:ts-${Math.floor(now.getTime() / 1000)}`);
    const bareReplay = await adapter.verify(toIncoming({ ...bare, body: JSON.stringify(bodies[0]) }), now);
    assert.equal(bareReplay.providerEventId, bareFirst.providerEventId);
  });

  it('accepts ts in milliseconds, no x-request-id, and an upper-case data.id signed in lower case', async () => {
    await adapter.verify(toIncoming(sign({ timestampInMs: true })), now);
    await adapter.verify(toIncoming(sign({ requestId: null })), now);
    const orderId = 'ORD01JQ4S4KY8HWQ6NA5PXB65B3D3';
    const body = mercadopagoBody({ dataId: orderId, type: 'order', action: 'order.processed' });
    const lower = await adapter.verify(toIncoming(sign({ body, dataId: orderId, lowercaseDataId: true })), now);
    assert.equal(lower.entityKey, `order:${orderId.toLowerCase()}`, 'the id as signed: its case variants are one entity');
    assert.equal(lower.summary.references?.mercadopagoId, orderId, 'shown as MercadoPago sent it');
    await adapter.verify(toIncoming(sign({ body, dataId: orderId })), now);
    const strict = createMercadopagoAdapter(mpConfig({ dataIdCase: 'as-received' }));
    await rejectsWith(strict.verify(toIncoming(sign({ body, dataId: orderId, lowercaseDataId: true })), now), 'SIGNATURE_INVALID', 401);
  });

  it('accepts the previous secret during rotation; refuses a wrong secret and a forged signature', async () => {
    await adapter.verify(toIncoming(sign({ secret: TEST_SECRETS.mercadopagoOld })), now);
    await rejectsWith(adapter.verify(toIncoming(sign({ secret: 'wrong' })), now), 'SIGNATURE_INVALID', 401);
    const signed = sign();
    const forged = signed.headers['x-signature']!.replace(/v1=[0-9a-f]/, (m) => (m.endsWith('0') ? 'v1=1' : 'v1=0'));
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'x-signature': forged } }), now),
      'SIGNATURE_INVALID',
      401,
    );
  });

  it('refuses a changed signed part: data.id in the query, the request id, or data.id in the body', async () => {
    const signed = sign();
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, query: signed.query.replace('123456789', '123456788') }), now),
      'SIGNATURE_INVALID',
      401,
    );
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'x-request-id': 'req-x' } }), now),
      'SIGNATURE_INVALID',
      401,
    );
    const body = signed.body.replace('"id":"123456789"', '"id":"123456788"');
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body }), now), 'SIGNATURE_INVALID', 401);
  });

  it('a notification signed with its data.id lower-cased, replayed with the id in other cases, is the same event', async () => {
    // MercadoPago signs an Orders id lower-cased; 'either' accepts any case that lower-cases to
    // it. Each case variant used to be its own dedupe key and entity: a new run of the pipeline.
    const orderId = 'ORD01JQ4S4KY8HWQ6NA5PXB65B3D3';
    const body = (id: string) => mercadopagoBody({ dataId: id, type: 'order', action: 'order.processed' });
    const signed = sign({ body: body(orderId), dataId: orderId, lowercaseDataId: true });
    const first = await adapter.verify(toIncoming(signed), now);
    assert.equal(first.providerEventId, `${orderId.toLowerCase()}:req-1`, 'the id as it was signed');
    for (const variant of [orderId.toLowerCase(), 'ord01JQ4S4KY8HWQ6NA5PXB65B3D3', 'ORD01jq4s4ky8hwq6na5pxb65b3d3']) {
      const replay = toIncoming({ ...signed, query: signed.query.replace(orderId, variant), body: JSON.stringify(body(variant)) });
      const delivery = await adapter.verify(replay, now);
      assert.equal(delivery.providerEventId, first.providerEventId, variant);
      assert.equal(delivery.entityKey, first.entityKey, variant);
    }
    // Signed as received (the SDK's way), another case is another manifest: refused.
    const asReceived = sign({ body: body(orderId), dataId: orderId });
    assert.equal((await adapter.verify(toIncoming(asReceived), now)).providerEventId, `${orderId}:req-1`);
    const lowered = { ...asReceived, query: asReceived.query.replace(orderId, orderId.toLowerCase()) };
    await rejectsWith(
      adapter.verify(toIncoming({ ...lowered, body: JSON.stringify(body(orderId.toLowerCase())) }), now),
      'SIGNATURE_INVALID',
      401,
    );
  });

  it("refuses a notification whose data.id is not in the query (nothing signed says which resource) or not in the body (the pipeline's id)", async () => {
    // A manifest without id signs only the request id and ts: the body's id would be anyone's.
    const noId = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      body: mercadopagoBody({ dataId: '555' }),
      dataId: '',
      requestId: 'req-9',
      timestamp: now,
    });
    const error = await rejectsWith(adapter.verify(toIncoming({ ...noId, query: '?type=payment' }), now), 'SIGNATURE_INVALID', 401);
    assert.match(error.message, /data\.id is missing from the URL's query/);
    // Signed for 123456789, but the body names no data.id and offers its own `id` (the notification's, unsigned).
    const signed = sign();
    for (const unsignedBody of [
      { id: '987654321', topic: 'payment', type: 'payment' },
      { type: 'payment', data: { id: { nested: 1 } } },
    ]) {
      await rejectsWith(adapter.verify(toIncoming({ ...signed, body: JSON.stringify(unsignedBody) }), now), 'MISSING_FIELD', 400);
    }
  });

  it('refuses stale and future timestamps when a tolerance is configured', async () => {
    await rejectsWith(
      adapter.verify(toIncoming(sign({ timestamp: new Date(now.getTime() - 301_000) })), now),
      'TIMESTAMP_OUT_OF_TOLERANCE',
      401,
    );
    await rejectsWith(
      adapter.verify(toIncoming(sign({ timestamp: new Date(now.getTime() + 301_000) })), now),
      'TIMESTAMP_OUT_OF_TOLERANCE',
      401,
    );
    const noTolerance = createMercadopagoAdapter(mpConfig({ toleranceSeconds: undefined }));
    await noTolerance.verify(toIncoming(sign({ timestamp: new Date(now.getTime() - 86_400_000) })), now);
  });

  it('refuses a missing x-signature (401), malformed JSON (400) and a wrong content type (415)', async () => {
    const signed = sign();
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { 'content-type': 'application/json' } }), now),
      'SIGNATURE_MISSING',
      401,
    );
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: '{"type":' }), now), 'MALFORMED_BODY', 400);
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: '[1,2]' }), now), 'MALFORMED_BODY', 400);
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' } }), now),
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
  });

  it('legacy IPN is refused unless the source verifies by fetching, then accepted and marked', async () => {
    const ipn = toIncoming({ method: 'POST', query: '?topic=payment&id=555', headers: {}, body: '' });
    await rejectsWith(adapter.verify(ipn, now), 'SIGNATURE_MISSING', 401);
    const fetching = createMercadopagoAdapter(mpConfig({ verifyByFetching: {} }));
    const delivery = await fetching.verify({ ...ipn, headers: { 'x-request-id': 'r-9' } }, now);
    assert.equal(delivery.entityKey, 'payment:555');
    assert.equal(delivery.providerEventId, 'ipn:payment:555:r-9');
    assert.deepEqual(delivery.payload, {
      topic: 'payment',
      id: '555',
      verification: 'fetch',
      apiBaseUrl: 'https://api.mercadopago.com',
    });
    await rejectsWith(
      fetching.verify(toIncoming({ method: 'POST', query: '?topic=payment&id=5%3B5', headers: {}, body: '' }), now),
      'MALFORMED_BODY',
      400,
    );
  });
});
