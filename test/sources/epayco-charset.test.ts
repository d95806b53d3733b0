import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEpaycoAdapter, epaycoSignature } from '../../src/sources/epayco.js';
import type { SourceAdapter } from '../../src/sources/source.js';
import { epaycoConfig, startEpaycoSandbox, type EpaycoSandbox } from '../helpers/epayco-sandbox.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { epaycoFields, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

/**
 * ePayco may post `charset=ISO-8859-1` forms, or no charset with Latin-1 bytes (0xE9 for é).
 * The signature is over the decoded field values, so each body here is signed over the text.
 */

const now = new Date('2025-06-01T12:00:00Z');
let epayco: EpaycoSandbox;
let adapter: SourceAdapter;
before(async () => {
  epayco = await startEpaycoSandbox();
  adapter = createEpaycoAdapter(epaycoConfig({ validation: { baseUrl: epayco.validationUrl } }));
});
after(() => epayco.close());

/** A form body with every value as raw bytes of `encoding` (no percent-escapes for é). */
function rawForm(fields: Record<string, string>, encoding: 'latin1' | 'utf8'): Buffer {
  const signed = { ...fields, x_signature: epaycoSignature(TEST_SECRETS.epaycoCustomerId, TEST_SECRETS.epaycoPKey, fields) };
  return Buffer.from(
    Object.entries(signed)
      .map(([k, v]) => `${k}=${v.replace(/ /g, '+')}`)
      .join('&'),
    encoding,
  );
}

function post(body: Buffer, contentType: string) {
  return toIncoming({ method: 'POST', query: '', headers: { 'content-type': contentType }, body: '' }, { rawBody: body });
}

// A signed field with an é: the hash only matches if the body was decoded to the same text.
const fields = epaycoFields({ x_ref_payco: '900', x_transaction_id: 'TXé-1', x_customer_name: 'José', x_description: 'Suscripción anual' });

describe('ePayco form charsets', () => {
  before(() => epayco.pay(fields));

  it('reads a body declared ISO-8859-1 (and windows-1252)', async () => {
    for (const charset of ['ISO-8859-1', 'windows-1252', 'latin1']) {
      const delivery = await adapter.verify(post(rawForm(fields, 'latin1'), `application/x-www-form-urlencoded; charset=${charset}`), now);
      assert.equal(delivery.summary.customer?.name, 'José Pérez', charset);
      assert.equal(delivery.summary.product?.name, 'Suscripción anual');
      assert.equal(delivery.summary.references?.transactionId, 'TXé-1');
    }
  });

  it('reads undeclared Latin-1 bytes as Latin-1 instead of refusing them (a 400 is never retried)', async () => {
    const delivery = await adapter.verify(post(rawForm(fields, 'latin1'), 'application/x-www-form-urlencoded'), now);
    assert.equal(delivery.summary.customer?.name, 'José Pérez');
    assert.equal(delivery.transactionStatus, 'accepted');
  });

  it('still reads UTF-8, raw or percent-encoded', async () => {
    const delivery = await adapter.verify(post(rawForm(fields, 'utf8'), 'application/x-www-form-urlencoded'), now);
    assert.equal(delivery.summary.customer?.name, 'José Pérez');
    const declared = await adapter.verify(post(rawForm(fields, 'utf8'), 'application/x-www-form-urlencoded; charset=UTF-8'), now);
    assert.equal(declared.summary.references?.transactionId, 'TXé-1');
  });

  it('refuses bytes that are not the declared UTF-8 (400), and a charset it cannot read (415)', async () => {
    const body = rawForm(fields, 'latin1');
    await rejectsWith(adapter.verify(post(body, 'application/x-www-form-urlencoded; charset=utf-8'), now), 'MALFORMED_BODY', 400);
    await rejectsWith(adapter.verify(post(body, 'application/x-www-form-urlencoded; charset=koi8-r'), now), 'UNSUPPORTED_MEDIA_TYPE', 415);
  });

  it('reads a percent-encoded Latin-1 GET query (%E9)', async () => {
    const signed = { ...fields, x_signature: epaycoSignature(TEST_SECRETS.epaycoCustomerId, TEST_SECRETS.epaycoPKey, fields) };
    const query = Object.entries(signed)
      .map(
        ([k, v]) =>
          `${k}=${[...Buffer.from(v, 'latin1')].map((b) => (b < 0x80 && /[A-Za-z0-9_.-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}`,
      )
      .join('&');
    const delivery = await adapter.verify(toIncoming({ method: 'GET', query: `?${query}`, headers: {}, body: '' }), now);
    assert.equal(delivery.summary.customer?.name, 'José Pérez');
  });
});
