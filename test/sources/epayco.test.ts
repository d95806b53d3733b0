import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseSourceConfigs, type EpaycoSourceConfig } from '../../src/sources/config.js';
import { createEpaycoAdapter, epaycoStatus } from '../../src/sources/epayco.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { epaycoFields, signEpayco, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

function epaycoConfig(extra: Record<string, unknown> = {}): EpaycoSourceConfig {
  return parseSourceConfigs([
    {
      name: 'epayco',
      kind: 'epayco',
      customerId: TEST_SECRETS.epaycoCustomerId,
      pKeys: [TEST_SECRETS.epaycoPKey, TEST_SECRETS.epaycoPKeyOld],
      ...extra,
    },
  ])[0] as EpaycoSourceConfig;
}

const adapter = createEpaycoAdapter(epaycoConfig());
const now = new Date('2025-06-01T12:00:00Z');
const sign = (fields: Record<string, string>, method: 'GET' | 'POST' = 'POST', pKey: string = TEST_SECRETS.epaycoPKey) =>
  signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey, fields, method });

describe('epayco adapter', () => {
  it('accepts a signed form confirmation and reads identity, state and summary', async () => {
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields())), now);
    assert.equal(delivery.providerEventId, '98765432:1');
    assert.equal(delivery.entityKey, '98765432');
    assert.equal(delivery.transactionStatus, 'accepted');
    assert.equal(delivery.type, 'transaction.accepted');
    assert.equal(delivery.occurredAt.toISOString(), '2025-01-27T15:30:00.000Z', 'Bogotá time is UTC−5');
    assert.deepEqual(delivery.summary.customer, {
      name: 'Juan Pérez',
      documentId: '1020304050',
      email: 'juan@example.com',
      phone: '3001234567',
    });
    assert.deepEqual(delivery.summary.product, { name: 'Membresía Elite' });
    assert.equal(delivery.summary.amount, 250000);
    assert.equal(delivery.summary.currency, 'COP');
    assert.equal(delivery.summary.references?.invoice, 'INV-20250127-001');
    assert.equal(delivery.summary.references?.extra1, 'order-77');
    assert.equal(delivery.summary.references?.refPayco, '98765432');
  });

  it('accepts a GET confirmation in the query string', async () => {
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields(), 'GET')), now);
    assert.equal(delivery.providerEventId, '98765432:1');
  });

  it('pending then accepted are two events of one entity', async () => {
    const pending = await adapter.verify(
      toIncoming(sign(epaycoFields({ x_cod_transaction_state: '3', x_cod_response: '3' }))),
      now,
    );
    const accepted = await adapter.verify(toIncoming(sign(epaycoFields())), now);
    assert.equal(pending.transactionStatus, 'pending');
    assert.notEqual(pending.providerEventId, accepted.providerEventId);
    assert.equal(pending.entityKey, accepted.entityKey);
  });

  it('maps the state codes, falling back to x_cod_response', async () => {
    const expected: Record<string, string | null> = {
      '1': 'accepted', '2': 'rejected', '4': 'rejected', '10': 'rejected', '11': 'rejected',
      '3': 'pending', '7': 'pending', '6': 'reversed', '9': null,
    };
    for (const [code, status] of Object.entries(expected)) assert.equal(epaycoStatus(code), status, `code ${code}`);
    const fields = epaycoFields({ x_cod_response: '6' });
    delete fields.x_cod_transaction_state;
    const delivery = await adapter.verify(toIncoming(sign(fields)), now);
    assert.equal(delivery.transactionStatus, 'reversed');
    assert.equal(delivery.providerEventId, '98765432:6');
  });

  it('hashes the amount exactly as received', async () => {
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields({ x_amount: '250000' }))), now);
    assert.equal(delivery.summary.amount, 250000);
    const signed = sign(epaycoFields({ x_amount: '250000' }));
    const reformatted = signed.body.replace('x_amount=250000', 'x_amount=250000.00');
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: reformatted }), now), 'SIGNATURE_INVALID', 401);
  });

  it('accepts the previous P_KEY during rotation; refuses a wrong one', async () => {
    await adapter.verify(toIncoming(sign(epaycoFields(), 'POST', TEST_SECRETS.epaycoPKeyOld)), now);
    await rejectsWith(adapter.verify(toIncoming(sign(epaycoFields(), 'POST', 'wrong-key')), now), 'SIGNATURE_INVALID', 401);
  });

  it('refuses a forged signature, a changed byte and a missing x_signature (401)', async () => {
    const signed = sign(epaycoFields());
    const forged = signed.body.replace(/x_signature=[0-9a-f]/, (m) => (m.endsWith('0') ? 'x_signature=1' : 'x_signature=0'));
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: forged }), now), 'SIGNATURE_INVALID', 401);
    const changed = signed.body.replace('x_transaction_id=1234567890123', 'x_transaction_id=1234567890124');
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: changed }), now), 'SIGNATURE_INVALID', 401);
    const unsigned = new URLSearchParams(epaycoFields()).toString();
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: unsigned }), now), 'SIGNATURE_MISSING', 401);
  });

  it('refuses missing fields and malformed form data (400)', async () => {
    const fields = epaycoFields();
    delete fields.x_ref_payco;
    const error = await rejectsWith(adapter.verify(toIncoming(sign(fields)), now), 'MISSING_FIELD', 400);
    assert.match(error.message, /x_ref_payco/);
    const signed = sign(epaycoFields());
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: '{"x_ref_payco":1}' }), now), 'MALFORMED_BODY', 400);
    await rejectsWith(adapter.verify(toIncoming(signed, { rawBody: Buffer.from([0xff, 0xfe, 0x3d]) }), now), 'MALFORMED_BODY', 400);
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, body: `${signed.body}&x_ref_payco=1` }), now),
      'MALFORMED_BODY',
      400,
    );
  });

  it('refuses JSON or no content type (415) and GET when not accepted (405)', async () => {
    const signed = sign(epaycoFields());
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { 'content-type': 'application/json' } }), now),
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
    await rejectsWith(adapter.verify(toIncoming({ ...signed, headers: {} }), now), 'UNSUPPORTED_MEDIA_TYPE', 415);
    const postOnly = createEpaycoAdapter(epaycoConfig({ acceptGet: false }));
    await rejectsWith(postOnly.verify(toIncoming(sign(epaycoFields(), 'GET')), now), 'METHOD_NOT_ALLOWED', 405);
  });

  describe('server-side validation against the reference endpoint', () => {
    let server: Server;
    let baseUrl: string;
    let reply: { status: number; body: unknown } = { status: 200, body: {} };
    const asked: string[] = [];
    before(async () => {
      server = createServer((req, res) => {
        asked.push(req.url ?? '');
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('accepts when ePayco agrees, refuses a mismatch (401) and answers 503 when it cannot ask', async () => {
      const validating = createEpaycoAdapter(epaycoConfig({ validation: { baseUrl } }));
      reply = {
        status: 200,
        body: { success: true, data: { x_ref_payco: 98765432, x_cod_transaction_state: 1, x_amount: 250000 } },
      };
      await validating.verify(toIncoming(sign(epaycoFields())), now);
      assert.equal(asked.at(-1), '/validation/v1/reference/98765432');

      reply = { status: 200, body: { success: true, data: { x_ref_payco: '98765432', x_cod_transaction_state: '3', x_amount: '250000' } } };
      await rejectsWith(validating.verify(toIncoming(sign(epaycoFields())), now), 'VALIDATION_MISMATCH', 401);

      reply = { status: 500, body: {} };
      await rejectsWith(validating.verify(toIncoming(sign(epaycoFields())), now), 'VALIDATION_UNAVAILABLE', 503);
    });

    it('is off by default: no request is made', async () => {
      const before = asked.length;
      await adapter.verify(toIncoming(sign(epaycoFields())), now);
      assert.equal(asked.length, before);
    });
  });
});
