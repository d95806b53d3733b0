import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import {
  customBody,
  epaycoFields,
  mercadopagoBody,
  sendDelivery,
  signCustom,
  signEpayco,
  signMercadopago,
  signStripe,
  stripeEvent,
  TEST_SECRETS,
  type SignedDelivery,
} from '../helpers/signing.js';

/**
 * Every provider over real HTTP against the real SQLite store: what is acknowledged is
 * stored once, and every kind of bad delivery is refused with its status and stores nothing.
 */

interface ProviderCase {
  source: string;
  /** A valid delivery with a fresh identity, signed with `secret` (default: the current one). */
  valid: (options?: { secret?: 'current' | 'previous' | 'wrong'; at?: Date }) => SignedDelivery;
  /** Same delivery with one hex digit of the signature changed. */
  forge: (signed: SignedDelivery) => SignedDelivery;
  /** Same delivery with one hex digit appended to the signature (it must match exactly). */
  extend: (signed: SignedDelivery) => SignedDelivery;
  /** Same delivery without the signature (header or field). */
  unsign: (signed: SignedDelivery) => SignedDelivery;
  /** Same delivery with one byte of a signed part of the body changed. */
  changeOneByte: (signed: SignedDelivery) => SignedDelivery;
  /** Correctly signed deliveries whose bodies are malformed (bad syntax, wrong shape). */
  malformed: () => SignedDelivery[];
  /** Whether the scheme carries a timestamp (stale/future refused). */
  timestamped: boolean;
}

const flipHexDigit = (text: string, at: number): string => `${text.slice(0, at)}${text[at] === '0' ? '1' : '0'}${text.slice(at + 1)}`;
const withHeader = (signed: SignedDelivery, name: string, value: string | undefined): SignedDelivery => {
  const headers = { ...signed.headers };
  if (value === undefined) delete headers[name];
  else headers[name] = value;
  return { ...signed, headers };
};
const flipLastHexOfHeader = (signed: SignedDelivery, name: string): SignedDelivery =>
  withHeader(signed, name, flipHexDigit(signed.headers[name] ?? '', (signed.headers[name] ?? '').length - 1));

const pick = <T>(which: 'current' | 'previous' | 'wrong' | undefined, current: T, previous: T, wrong: T): T =>
  which === 'previous' ? previous : which === 'wrong' ? wrong : current;

/** Makes a payment in the ePayco sandbox of the server under test (set in its `before`). */
let makeEpaycoPayment: (fields: Record<string, string>) => void = () => undefined;

const providers: ProviderCase[] = [
  {
    source: 'stripe',
    timestamped: true,
    valid: (o = {}) =>
      signStripe({
        payload: stripeEvent({ id: `evt_${randomUUID().slice(0, 8)}` }),
        secret: pick(o.secret, TEST_SECRETS.stripe, TEST_SECRETS.stripeOld, 'whsec_wrong'),
        timestamp: o.at,
      }),
    forge: (s) => flipLastHexOfHeader(s, 'stripe-signature'),
    extend: (s) => withHeader(s, 'stripe-signature', `${s.headers['stripe-signature']}0`),
    unsign: (s) => withHeader(s, 'stripe-signature', undefined),
    changeOneByte: (s) => ({ ...s, body: s.body.replace('"livemode":true', '"livemode":truE') }),
    malformed: () => [
      signStripe({ payload: '{"id":"evt_broken",', secret: TEST_SECRETS.stripe }),
      signStripe({ payload: '["not","an","event"]', secret: TEST_SECRETS.stripe }),
      signStripe({ payload: '{"object":"event","type":"payment_intent.succeeded"}', secret: TEST_SECRETS.stripe }),
    ],
  },
  {
    source: 'mercadopago',
    timestamped: true,
    valid: (o = {}) => {
      const dataId = String(Math.floor(Math.random() * 1e12));
      return signMercadopago({
        secret: pick(o.secret, TEST_SECRETS.mercadopago, TEST_SECRETS.mercadopagoOld, 'wrong'),
        body: mercadopagoBody({ dataId, notificationId: Math.floor(Math.random() * 1e9) }),
        dataId,
        query: { type: 'payment' },
        timestamp: o.at,
      });
    },
    forge: (s) => {
      const header = s.headers['x-signature'] ?? '';
      return withHeader(s, 'x-signature', flipHexDigit(header, header.length - 1));
    },
    extend: (s) => withHeader(s, 'x-signature', `${s.headers['x-signature']}0`),
    unsign: (s) => withHeader(s, 'x-signature', undefined),
    // MercadoPago signs data.id (query), the request id and ts — not the body: a body whose
    // data.id differs from the signed one is refused.
    changeOneByte: (s) => ({
      ...s,
      body: s.body.replace(
        /"data":\{"id":"(\d+)(\d)"/,
        (_m, head: string, last: string) => `"data":{"id":"${head}${last === '0' ? '1' : '0'}"`,
      ),
    }),
    malformed: () => [
      signMercadopago({ secret: TEST_SECRETS.mercadopago, body: '{"type":"payment",', dataId: '1', query: { type: 'payment' } }),
      signMercadopago({ secret: TEST_SECRETS.mercadopago, body: '[]', dataId: '1', query: { type: 'payment' } }),
    ],
  },
  {
    source: 'epayco',
    timestamped: false,
    valid: (o = {}) => {
      const fields = epaycoFields({ x_ref_payco: String(Math.floor(Math.random() * 1e9)) });
      // ePayco knows the payment it confirms: its reference endpoint (the sandbox) reports it.
      makeEpaycoPayment(fields);
      return signEpayco({
        customerId: TEST_SECRETS.epaycoCustomerId,
        pKey: pick(o.secret, TEST_SECRETS.epaycoPKey, TEST_SECRETS.epaycoPKeyOld, 'wrong'),
        fields,
      });
    },
    forge: (s) => ({ ...s, body: s.body.replace(/x_signature=([0-9a-f]+)/, (_m, sig: string) => `x_signature=${flipHexDigit(sig, 0)}`) }),
    extend: (s) => ({ ...s, body: s.body.replace(/x_signature=([0-9a-f]+)/, (_m, sig: string) => `x_signature=${sig}0`) }),
    unsign: (s) => ({ ...s, body: s.body.replace(/&?x_signature=[0-9a-f]+/, '') }),
    changeOneByte: (s) => ({ ...s, body: s.body.replace('x_amount=250000.00', 'x_amount=250000.01') }),
    malformed: () => {
      const signed = (fields: Record<string, string>) =>
        signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey: TEST_SECRETS.epaycoPKey, fields: epaycoFields(fields) });
      const valid = signed({ x_ref_payco: String(Math.floor(Math.random() * 1e9)) });
      return [
        signed({ x_amount: 'doscientos' }),
        // JSON sent as a form, and a signed field sent twice (which value was signed?).
        { ...valid, body: JSON.stringify(Object.fromEntries(new URLSearchParams(valid.body))) },
        { ...valid, body: `${valid.body}&x_ref_payco=1` },
      ];
    },
  },
  {
    source: 'shop',
    timestamped: true,
    valid: (o = {}) =>
      signCustom({
        secret: pick(o.secret, TEST_SECRETS.custom, TEST_SECRETS.customOld, 'wrong'),
        body: customBody(),
        timestampHeader: 'x-webpig-timestamp',
        timestamp: o.at,
      }),
    forge: (s) => flipLastHexOfHeader(s, 'x-webpig-signature'),
    extend: (s) => withHeader(s, 'x-webpig-signature', `${s.headers['x-webpig-signature']}0`),
    unsign: (s) => withHeader(s, 'x-webpig-signature', undefined),
    changeOneByte: (s) => ({ ...s, body: s.body.replace('order.paid', 'order.pain') }),
    malformed: () => [
      signCustom({ secret: TEST_SECRETS.custom, body: '{"id":', timestampHeader: 'x-webpig-timestamp' }),
      signCustom({ secret: TEST_SECRETS.custom, body: '"order.paid"', timestampHeader: 'x-webpig-timestamp' }),
      signCustom({ secret: TEST_SECRETS.custom, body: { type: 'order.paid' }, timestampHeader: 'x-webpig-timestamp' }),
    ],
  },
];

describe('ingestion over HTTP', () => {
  let server: IngestServer;
  before(async () => {
    server = await startIngestServer();
    makeEpaycoPayment = (fields) => server.epayco.payNow(fields);
  });
  after(async () => server.close());

  const countEvents = () => server.store.countEvents({});

  /** Sends the delivery, expects the status and error code, and that nothing was stored. */
  async function expectRefused(source: string, signed: SignedDelivery, status: number, code?: string): Promise<void> {
    const eventsBefore = await countEvents();
    const rejectionsBefore = (await server.store.listRejections(1000)).length;
    const reply = await sendDelivery(server.baseUrl, source, signed);
    assert.equal(reply.status, status, JSON.stringify(reply.body));
    const error = reply.body.error as { code: string; message: string } | undefined;
    assert.ok(error?.message, 'an error reply says why');
    if (code) assert.equal(error.code, code);
    assert.equal(await countEvents(), eventsBefore, 'a refused delivery stores no event');
    assert.equal((await server.store.listRejections(1000)).length, rejectionsBefore + 1, 'the rejection is logged');
  }

  for (const provider of providers) {
    describe(provider.source, () => {
      it('stores a valid delivery once and acknowledges it; the same delivery again is a duplicate', async () => {
        const signed = provider.valid();
        const before = await countEvents();
        const first = await sendDelivery(server.baseUrl, provider.source, signed);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.status, 'accepted');
        assert.equal(typeof first.body.id, 'number');
        const stored = await server.store.getEvent(first.body.id as number);
        assert.equal(stored?.source, provider.source);
        assert.deepEqual(stored?.rawBody, Buffer.from(signed.body), 'the exact bytes are kept');
        assert.equal(stored?.status, 'queued');
        const again = await sendDelivery(server.baseUrl, provider.source, signed);
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, { id: first.body.id, status: 'duplicate' });
        assert.equal(await countEvents(), before + 1);
      });

      it('accepts a delivery signed with the previous secret (rotation)', async () => {
        const reply = await sendDelivery(server.baseUrl, provider.source, provider.valid({ secret: 'previous' }));
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.equal(reply.body.status, 'accepted');
      });

      it('refuses a forged signature, a wrong secret, a missing signature and a changed byte (401)', async () => {
        await expectRefused(provider.source, provider.forge(provider.valid()), 401, 'SIGNATURE_INVALID');
        await expectRefused(provider.source, provider.extend(provider.valid()), 401, 'SIGNATURE_INVALID');
        await expectRefused(provider.source, provider.valid({ secret: 'wrong' }), 401, 'SIGNATURE_INVALID');
        await expectRefused(provider.source, provider.unsign(provider.valid()), 401, 'SIGNATURE_MISSING');
        await expectRefused(provider.source, provider.changeOneByte(provider.valid()), 401, 'SIGNATURE_INVALID');
      });

      if (provider.timestamped) {
        it('refuses a stale and a future timestamp (401)', async () => {
          const stale = new Date(Date.now() - 3_600_000);
          const future = new Date(Date.now() + 3_600_000);
          await expectRefused(provider.source, provider.valid({ at: stale }), 401, 'TIMESTAMP_OUT_OF_TOLERANCE');
          await expectRefused(provider.source, provider.valid({ at: future }), 401, 'TIMESTAMP_OUT_OF_TOLERANCE');
        });
      }

      it('refuses a malformed body (400), a wrong content type (415) and a huge body (413)', async () => {
        for (const malformed of provider.malformed()) await expectRefused(provider.source, malformed, 400);
        await expectRefused(provider.source, withHeader(provider.valid(), 'content-type', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
        const valid = provider.valid();
        const huge = { ...valid, body: valid.body + ' '.repeat(1024 * 1024) };
        await expectRefused(provider.source, huge, 413, 'BODY_TOO_LARGE');
      });
    });
  }

  it('an ePayco confirmation by GET is stored; GET to a POST-only source is 405', async () => {
    const fields = epaycoFields({ x_ref_payco: 'get-1' });
    await server.epayco.pay(fields);
    const signed = signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey: TEST_SECRETS.epaycoPKey, fields, method: 'GET' });
    const reply = await sendDelivery(server.baseUrl, 'epayco', signed);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const event = await server.store.getEvent(reply.body.id as number);
    assert.equal(event?.entityKey, 'invoice:INV-20250127-001');
    assert.equal(event?.providerEventId, 'get-1:1');
    await expectRefused('stripe', { method: 'GET', query: '', headers: {}, body: '' }, 405, 'METHOD_NOT_ALLOWED');
  });

  it('an unsigned MercadoPago IPN is refused (401) by a source that does not verify by fetching', async () => {
    const ipn: SignedDelivery = { method: 'POST', query: '?topic=payment&id=555', headers: {}, body: '' };
    await expectRefused('mercadopago', ipn, 401, 'SIGNATURE_MISSING');
  });

  it('an unknown source is 404 and is logged as a rejection', async () => {
    await expectRefused('nope', signCustom({ secret: TEST_SECRETS.custom, body: customBody() }), 404, 'UNKNOWN_SOURCE');
    const [latest] = await server.store.listRejections(1);
    assert.equal(latest?.source, 'nope');
  });

  it('logs a rejection with its time, source, status, reason, address and first 256 bytes', async () => {
    const signed = signCustom({ secret: 'misconfigured', body: customBody({ padToBytes: 1500 }), timestampHeader: 'x-webpig-timestamp' });
    await sendDelivery(server.baseUrl, 'shop', signed);
    const [latest] = await server.store.listRejections(1);
    assert.equal(latest?.source, 'shop');
    assert.equal(latest?.httpStatus, 401);
    assert.match(latest?.reason ?? '', /^SIGNATURE_INVALID/);
    assert.equal(latest?.remoteAddress, '127.0.0.1');
    assert.equal(latest?.firstBytes, signed.body.slice(0, 256));
    assert.ok(Date.now() - (latest?.at.getTime() ?? 0) < 60_000);
    assert.ok(!(latest?.reason ?? '').includes('misconfigured'), 'no secret in the log');
    const metrics = await server.registry.getSingleMetricAsString('webpig_webhook_rejections_total');
    assert.match(metrics, /webpig_webhook_rejections_total\{source="shop",reason="SIGNATURE_INVALID"\} \d+/);
  });

  it('keeps no signature or card number in the logged first bytes', async () => {
    const form = 'x_signature=abcdef0123456789SIGSECRET&x_cardnumber=4111111111111111&x_customer_email=ana%40example.com&x_ref_payco=9';
    await sendDelivery(server.baseUrl, 'epayco', {
      method: 'POST',
      query: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    const json = JSON.stringify({ id: 'evt_1', signature: 'SIGSECRET-JSON', data: { pan: '4111 1111 1111 1111', ok: 1 } });
    await sendDelivery(server.baseUrl, 'nope', { method: 'POST', query: '', headers: { 'content-type': 'application/json' }, body: json });
    const [fromJson, fromForm] = await server.store.listRejections(2);
    assert.equal(fromForm?.source, 'epayco');
    assert.equal(fromForm?.firstBytes, 'x_signature=[redacted]&x_cardnumber=[redacted]&x_customer_email=ana%40example.com&x_ref_payco=9');
    assert.equal(fromJson?.firstBytes, '{"id":"evt_1","signature":"[redacted]","data":{"pan":"[redacted]","ok":1}}');
  });

  it('a body without a content type is 415; routes outside the plugin still parse JSON', async () => {
    // fetch() would add text/plain to a string body: node:http sends exactly what we say.
    const signed = providers[0]!.valid();
    const before = await countEvents();
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${server.baseUrl}/webhooks/stripe`);
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'stripe-signature': signed.headers['stripe-signature'], 'content-length': Buffer.byteLength(signed.body) },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end(signed.body);
    });
    assert.equal(reply.status, 415, reply.text);
    assert.equal(await countEvents(), before);
    const echo = await fetch(`${server.baseUrl}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.deepEqual(await echo.json(), { body: { a: 1 } });
  });

  for (const provider of providers) {
    it(`stores exactly one event for 50 concurrent copies of one ${provider.source} delivery`, async () => {
      const signed = provider.valid();
      const before = await countEvents();
      const replies = await Promise.all(Array.from({ length: 50 }, () => sendDelivery(server.baseUrl, provider.source, signed)));
      assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
      assert.equal(new Set(replies.map((r) => r.body.id)).size, 1, 'every copy names the same event');
      assert.equal(replies.filter((r) => r.body.status === 'accepted').length, 1);
      assert.equal(replies.filter((r) => r.body.status === 'duplicate').length, 49);
      assert.equal(await countEvents(), before + 1);
    });
  }
});

describe('MercadoPago IPN on a source that verifies by fetching', () => {
  let server: IngestServer;
  before(async () => {
    server = await startIngestServer({
      sources: [{ name: 'mp-ipn', kind: 'mercadopago', secrets: [], verifyByFetching: { apiBaseUrl: 'http://127.0.0.1:9/mp' } }],
    });
  });
  after(async () => server.close());

  it('stores the unsigned IPN marked for verification by the API read; a signed-looking webhook without a secret is refused', async () => {
    const reply = await sendDelivery(server.baseUrl, 'mp-ipn', {
      method: 'POST',
      query: '?topic=payment&id=555',
      headers: { 'x-request-id': 'req-ipn-1' },
      body: '',
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const event = await server.store.getEvent(reply.body.id as number);
    assert.deepEqual(event?.payload, { topic: 'payment', id: '555', verification: 'fetch', apiBaseUrl: 'http://127.0.0.1:9/mp' });
    assert.equal(event?.entityKey, 'payment:555');
    const webhook = signMercadopago({ secret: 'anything', body: mercadopagoBody(), dataId: '123456789', query: { type: 'payment' } });
    const refused = await sendDelivery(server.baseUrl, 'mp-ipn', webhook);
    assert.equal(refused.status, 401);
    assert.equal(await server.store.countEvents({}), 1);
  });
});

describe('the rejection log under a flood', () => {
  let server: IngestServer;
  before(async () => {
    server = await startIngestServer({ rejectionLogPerSecond: 1 });
  });
  after(async () => server.close());

  it('logs at most the configured rows per second and still counts every rejection', async () => {
    for (let i = 0; i < 10; i++) {
      const reply = await sendDelivery(server.baseUrl, 'stripe', signStripe({ payload: stripeEvent(), secret: 'whsec_wrong' }));
      assert.equal(reply.status, 401);
    }
    const logged = (await server.store.listRejections(100)).length;
    assert.ok(logged >= 1 && logged < 10, `logged ${logged} of 10`);
    const metrics = await server.registry.getSingleMetricAsString('webpig_webhook_rejections_total');
    assert.match(metrics, /webpig_webhook_rejections_total\{source="stripe",reason="SIGNATURE_INVALID"\} 10/);
  });
});
