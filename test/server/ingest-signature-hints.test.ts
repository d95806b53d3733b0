/**
 * A delivery refused for its signature (401) says what the sender must send: the header (or
 * field), the MAC and what it covers, per provider (src/sources/README.md) — so whoever wires
 * the sender can fix it from the reply alone. It never carries a secret, nor the MAC webpig
 * computed (that would let anyone holding one delivery forge the next).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { epaycoSignature } from '../../src/sources/epayco.js';
import { mercadopagoManifest } from '../../src/sources/mercadopago.js';
import { hmacSha256 } from '../../src/sources/delivery-reading.js';
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

let server: IngestServer;
before(async () => {
  server = await startIngestServer();
});
after(() => server.close());

const WRONG = 'not-the-secret-of-this-source';

/** The reply's message, with the checks every refusal must pass: 401, no secret, no computed MAC. */
async function refusal(source: string, signed: SignedDelivery, computed: readonly string[]): Promise<string> {
  const reply = await sendDelivery(server.baseUrl, source, signed);
  assert.equal(reply.status, 401, JSON.stringify(reply.body));
  const message = (reply.body.error as { message: string }).message;
  for (const secret of [...Object.values(TEST_SECRETS).filter((value) => value !== TEST_SECRETS.epaycoCustomerId), WRONG]) {
    assert.ok(!message.includes(secret), `the message carries a secret: ${message}`);
  }
  for (const mac of computed) assert.ok(!message.includes(mac), `the message carries the computed MAC: ${message}`);
  return message;
}

describe('a delivery with a wrong signature is told the scheme webpig expected', () => {
  it('custom source: the header, HMAC-SHA256 of "<timestamp header>.<raw body>", hex', async () => {
    const signed = signCustom({ secret: WRONG, body: customBody(), timestampHeader: 'x-webpig-timestamp' });
    const timestamp = signed.headers['x-webpig-timestamp']!;
    const computed = [TEST_SECRETS.custom, TEST_SECRETS.customOld].map((secret) =>
      hmacSha256(secret, Buffer.from(`${timestamp}.${signed.body}`)).toString('hex'),
    );
    const message = await refusal('shop', signed, computed);
    assert.equal(
      message,
      'the x-webpig-signature signature does not match: expected x-webpig-signature: hex HMAC-SHA256 of "<x-webpig-timestamp>.<raw body>" with the source\'s secret',
    );
    const unsigned = { ...signed, headers: { 'content-type': 'application/json' } };
    assert.match(
      await refusal('shop', unsigned, computed),
      /^the x-webpig-signature header is missing: expected x-webpig-signature: hex HMAC-SHA256/,
    );
  });

  it('Stripe: Stripe-Signature t=…,v1=… over "<t>.<raw body>" with the endpoint secret', async () => {
    const signed = signStripe({ payload: stripeEvent(), secret: 'whsec_' + WRONG });
    const t = /t=(\d+)/.exec(signed.headers['stripe-signature']!)?.[1] ?? '';
    const computed = [TEST_SECRETS.stripe, TEST_SECRETS.stripeOld].map((secret) =>
      hmacSha256(secret, `${t}.${signed.body}`).toString('hex'),
    );
    const message = await refusal('stripe', signed, computed);
    assert.match(
      message,
      /^no Stripe-Signature v1 value matches a configured secret: expected Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>\.<raw body>">/,
    );
  });

  it('MercadoPago: x-signature ts=…,v1=… over the id;request-id;ts manifest', async () => {
    const signed = signMercadopago({ secret: WRONG, body: mercadopagoBody(), dataId: '123456789' });
    const ts = /ts=(\d+)/.exec(signed.headers['x-signature']!)?.[1];
    const manifest = mercadopagoManifest({ dataId: '123456789', requestId: signed.headers['x-request-id'], ts });
    const computed = [TEST_SECRETS.mercadopago, TEST_SECRETS.mercadopagoOld].map((secret) => hmacSha256(secret, manifest).toString('hex'));
    const message = await refusal('mercadopago', signed, computed);
    assert.match(
      message,
      /^x-signature does not match: expected x-signature: ts=<ts>,v1=<hex HMAC-SHA256 of "id:<data\.id>;request-id:<x-request-id>;ts:<ts>;">/,
    );
  });

  it('ePayco: the x_signature field, SHA-256 of the ^-joined customer id, P_KEY and signed fields', async () => {
    const fields = epaycoFields();
    const signed = signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey: WRONG, fields });
    const computed = [TEST_SECRETS.epaycoPKey, TEST_SECRETS.epaycoPKeyOld].map((pKey) =>
      epaycoSignature(TEST_SECRETS.epaycoCustomerId, pKey, fields),
    );
    const message = await refusal('epayco', signed, computed);
    assert.equal(
      message,
      'x_signature does not match: expected the field x_signature: hex SHA-256 of "P_CUST_ID_CLIENTE^P_KEY^x_ref_payco^x_transaction_id^x_amount^x_currency_code" with this source\'s customer id and P_KEY',
    );
  });
});
