import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { type CustomSourceConfig } from '../../src/sources/config.js';
import { createCustomAdapter } from '../../src/sources/custom.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { customBody, signCustom, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

function customConfig(extra: Record<string, unknown> = {}): CustomSourceConfig {
  return parseSourceConfigs([
    {
      name: 'shop',
      kind: 'custom',
      secrets: [TEST_SECRETS.custom, TEST_SECRETS.customOld],
      paths: {
        eventId: 'id',
        entityKey: 'order.id',
        type: 'type',
        occurredAt: 'occurred_at',
        transactionStatus: 'order.status',
      },
      ...extra,
    },
  ])[0] as CustomSourceConfig;
}

const adapter = createCustomAdapter(customConfig());
const timed = createCustomAdapter(customConfig({ timestampHeader: 'x-webpig-timestamp', toleranceSeconds: 300 }));
const now = new Date('2025-06-01T12:00:00Z');

describe("custom adapter: the sender's own status words", () => {
  const mapped = createCustomAdapter(customConfig({ statusMap: { paid: 'accepted', Refunded: 'reversed', failed: 'rejected' } }));
  const withStatus = (status: string) =>
    toIncoming(
      signCustom({ secret: TEST_SECRETS.custom, body: { id: `e-${status}`, type: 'order.updated', order: { id: 'order-1', status } } }),
    );

  it("maps them (exactly, then ignoring case) and keeps webpig's own words working", async () => {
    assert.equal((await mapped.verify(withStatus('paid'), now)).transactionStatus, 'accepted');
    assert.equal((await mapped.verify(withStatus('refunded'), now)).transactionStatus, 'reversed');
    assert.equal((await mapped.verify(withStatus('FAILED'), now)).transactionStatus, 'rejected');
    assert.equal((await mapped.verify(withStatus('pending'), now)).transactionStatus, 'pending');
    assert.equal((await mapped.verify(withStatus('paid'), now)).summary.references?.senderStatus, 'paid', 'the word the sender used');
  });

  it('an unknown word is stored with the status unknown and the word kept, never refused', async () => {
    for (const target of [mapped, adapter]) {
      const delivery = await target.verify(withStatus('chargeback_opened'), now);
      assert.equal(delivery.transactionStatus, null);
      assert.equal(delivery.summary.references?.senderStatus, 'chargeback_opened');
      assert.equal(delivery.providerEventId, 'e-chargeback_opened');
    }
  });

  it('a statusMap naming no webpig status is a config error that names the field', () => {
    assert.throws(() => customConfig({ statusMap: { paid: 'done' } }), /statusMap\.paid/);
  });
});

describe('custom adapter', () => {
  it('accepts an HMAC of the raw body and reads the configured paths', async () => {
    const delivery = await adapter.verify(toIncoming(signCustom({ secret: TEST_SECRETS.custom, body: customBody({ id: 'e-1' }) })), now);
    assert.equal(delivery.providerEventId, 'e-1');
    assert.equal(delivery.entityKey, 'order-1');
    assert.equal(delivery.type, 'order.paid');
    assert.equal(delivery.transactionStatus, 'accepted');
    assert.equal(delivery.occurredAt.toISOString(), '2025-01-27T15:30:00.000Z');
  });

  it('fills the summary from the configured paths', async () => {
    const withSummary = createCustomAdapter(
      customConfig({
        summaryPaths: {
          customerName: 'customer.name',
          customerEmail: 'customer.email',
          product: 'item.name',
          productId: 'item.sku',
          productCategory: 'item.kind',
          productPrice: 'item.price',
          amount: 'total',
          currency: 'currency',
          references: { invoice: 'invoice.id', missing: 'nowhere' },
        },
      }),
    );
    const body = {
      id: 'e-2',
      customer: { name: 'Ana', email: 'ana@example.com' },
      item: { name: 'Plan anual', sku: 'PLAN-12', kind: 'Planes', price: '120000' },
      total: '99000.50',
      currency: 'COP',
      invoice: { id: 'INV-9' },
    };
    const delivery = await withSummary.verify(toIncoming(signCustom({ secret: TEST_SECRETS.custom, body })), now);
    assert.deepEqual(delivery.summary, {
      customer: { name: 'Ana', email: 'ana@example.com' },
      product: { name: 'Plan anual', id: 'PLAN-12', category: 'Planes', price: 120000 },
      amount: 99000.5,
      currency: 'COP',
      references: { invoice: 'INV-9' },
    });
  });

  it('supports a prefix, base64 and other header names', async () => {
    const configured = createCustomAdapter(
      customConfig({ signatureHeader: 'X-Hub-Signature-256', signaturePrefix: 'sha256=', signatureEncoding: 'base64' }),
    );
    const signed = signCustom({
      secret: TEST_SECRETS.custom,
      body: customBody(),
      signatureHeader: 'x-hub-signature-256',
      signaturePrefix: 'sha256=',
      encoding: 'base64',
    });
    await configured.verify(toIncoming(signed), now);
    const noPrefix = { ...signed.headers, 'x-hub-signature-256': signed.headers['x-hub-signature-256']!.slice(7) };
    await rejectsWith(configured.verify(toIncoming({ ...signed, headers: noPrefix }), now), 'SIGNATURE_INVALID', 401);
  });

  it('accepts the previous secret during rotation; refuses a wrong one and a forged MAC', async () => {
    await adapter.verify(toIncoming(signCustom({ secret: TEST_SECRETS.customOld, body: customBody() })), now);
    await rejectsWith(adapter.verify(toIncoming(signCustom({ secret: 'wrong', body: customBody() })), now), 'SIGNATURE_INVALID', 401);
    const signed = signCustom({ secret: TEST_SECRETS.custom, body: customBody() });
    const mac = signed.headers['x-webpig-signature']!;
    const forged = `${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`;
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'x-webpig-signature': forged } }), now),
      'SIGNATURE_INVALID',
      401,
    );
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'x-webpig-signature': 'zz' } }), now),
      'SIGNATURE_INVALID',
      401,
    );
  });

  it('refuses a body changed by one byte', async () => {
    const signed = signCustom({ secret: TEST_SECRETS.custom, body: customBody() });
    const bytes = Buffer.from(signed.body);
    bytes[5] = (bytes[5] ?? 0) ^ 1;
    await rejectsWith(adapter.verify(toIncoming(signed, { rawBody: bytes }), now), 'SIGNATURE_INVALID', 401);
  });

  it('with a timestamp header: signs `${t}.${body}` and refuses stale, future and missing timestamps', async () => {
    const sign = (timestamp: Date) =>
      signCustom({ secret: TEST_SECRETS.custom, body: customBody(), timestampHeader: 'x-webpig-timestamp', timestamp });
    await timed.verify(toIncoming(sign(now)), now);
    await rejectsWith(timed.verify(toIncoming(sign(new Date(now.getTime() - 301_000))), now), 'TIMESTAMP_OUT_OF_TOLERANCE', 401);
    await rejectsWith(timed.verify(toIncoming(sign(new Date(now.getTime() + 301_000))), now), 'TIMESTAMP_OUT_OF_TOLERANCE', 401);
    const signed = sign(now);
    const { 'x-webpig-timestamp': _dropped, ...withoutTimestamp } = signed.headers;
    await rejectsWith(timed.verify(toIncoming({ ...signed, headers: withoutTimestamp }), now), 'SIGNATURE_MISSING', 401);
    // A timestamp moved forward without re-signing does not match.
    const moved = { ...signed.headers, 'x-webpig-timestamp': String(Number(signed.headers['x-webpig-timestamp']) + 1) };
    await rejectsWith(timed.verify(toIncoming({ ...signed, headers: moved }), now), 'SIGNATURE_INVALID', 401);
  });

  it('refuses a missing signature header (401), malformed JSON or no event id (400), other content types (415)', async () => {
    const signed = signCustom({ secret: TEST_SECRETS.custom, body: customBody() });
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { 'content-type': 'application/json' } }), now),
      'SIGNATURE_MISSING',
      401,
    );
    const broken = signCustom({ secret: TEST_SECRETS.custom, body: '{"id": "x",' });
    await rejectsWith(adapter.verify(toIncoming(broken), now), 'MALFORMED_BODY', 400);
    const noId = signCustom({ secret: TEST_SECRETS.custom, body: { type: 'x' } });
    await rejectsWith(adapter.verify(toIncoming(noId), now), 'MISSING_FIELD', 400);
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { ...signed.headers, 'content-type': 'text/xml' } }), now),
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
  });
});
