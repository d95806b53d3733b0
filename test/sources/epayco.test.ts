import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEpaycoAdapter, epaycoStatus } from '../../src/sources/epayco.js';
import type { SourceAdapter } from '../../src/sources/source.js';
import { epaycoConfig, startEpaycoSandbox, type EpaycoSandbox } from '../helpers/epayco-sandbox.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { epaycoFields, signEpayco, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

/**
 * The ePayco adapter against the sandbox's ePayco (its reference endpoint answers with what it
 * knows about each payment made with `pay`). Failure modes of the endpoint are in
 * epayco-validation.test.ts; charsets in epayco-charset.test.ts.
 */

const now = new Date('2025-06-01T12:00:00Z');
const sign = (fields: Record<string, string>, method: 'GET' | 'POST' = 'POST', pKey: string = TEST_SECRETS.epaycoPKey) =>
  signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey, fields, method });
const state = (code: string, extra: Record<string, string> = {}) =>
  epaycoFields({ x_cod_transaction_state: code, x_cod_response: code, ...extra });

let epayco: EpaycoSandbox;
let adapter: SourceAdapter;
before(async () => {
  epayco = await startEpaycoSandbox();
  adapter = createEpaycoAdapter(epaycoConfig({ validation: { baseUrl: epayco.validationUrl } }));
});
after(() => epayco.close());

describe('epayco adapter', () => {
  it('accepts a signed form confirmation ePayco knows and reads identity, state and summary', async () => {
    await epayco.pay(epaycoFields());
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields())), now);
    assert.equal(delivery.providerEventId, '98765432:1');
    assert.equal(delivery.entityKey, 'invoice:INV-20250127-001', 'the entity is the invoice ePayco reports');
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
    assert.equal(delivery.summary.references?.validated, 'true');
  });

  it('accepts a GET confirmation in the query string', async () => {
    await epayco.pay(epaycoFields());
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields(), 'GET')), now);
    assert.equal(delivery.providerEventId, '98765432:1');
  });

  it('pending then accepted are two events of one entity', async () => {
    await epayco.pay(state('3', { x_ref_payco: '700' }));
    const pending = await adapter.verify(toIncoming(sign(state('3', { x_ref_payco: '700' }))), now);
    await epayco.pay(state('1', { x_ref_payco: '700' }));
    const accepted = await adapter.verify(toIncoming(sign(state('1', { x_ref_payco: '700' }))), now);
    assert.deepEqual([pending.providerEventId, pending.transactionStatus], ['700:3', 'pending']);
    assert.deepEqual([accepted.providerEventId, accepted.transactionStatus], ['700:1', 'accepted']);
    assert.equal(pending.entityKey, accepted.entityKey);
  });

  it('stores what ePayco says, not what the request claims: a pending payment re-sent as accepted for another invoice stays pending', async () => {
    await epayco.pay(state('3', { x_ref_payco: '701' }));
    const pending = await adapter.verify(toIncoming(sign(state('3', { x_ref_payco: '701' }))), now);
    // The signature covers ref, transaction id, amount and currency only: it still matches.
    const forged = await adapter.verify(
      toIncoming(sign(state('1', { x_ref_payco: '701', x_id_invoice: 'INV-OTHER', x_extra1: 'other' }))),
      now,
    );
    assert.equal(forged.providerEventId, pending.providerEventId, 'the same event: a duplicate');
    assert.equal(forged.transactionStatus, 'pending');
    assert.equal(forged.entityKey, 'invoice:INV-20250127-001');
    assert.equal(forged.summary.references?.invoice, 'INV-20250127-001');
    const payload = forged.payload as Record<string, unknown>;
    assert.equal(payload.x_cod_transaction_state, '3');
    assert.equal(payload.x_id_invoice, 'INV-20250127-001');
    assert.deepEqual(payload.unverified, {
      x_cod_transaction_state: '1',
      x_cod_response: '1',
      x_id_invoice: 'INV-OTHER',
      x_extra1: 'other',
    });
  });

  it('a decisive field ePayco does not report is kept out of the payload top level', async () => {
    const known = state('1', { x_ref_payco: '702' });
    delete known.x_id_invoice;
    delete known.x_extra1;
    await epayco.pay(known);
    const delivery = await adapter.verify(toIncoming(sign(state('1', { x_ref_payco: '702' }))), now);
    assert.equal(delivery.entityKey, '702', 'no invoice reported: the entity is the reference');
    const payload = delivery.payload as Record<string, unknown>;
    assert.equal(payload.x_id_invoice, undefined);
    assert.equal(payload.x_extra1, undefined);
    assert.deepEqual(payload.unverified, { x_id_invoice: 'INV-20250127-001', x_extra1: 'order-77' });
    assert.equal(delivery.summary.references?.invoice, undefined);
  });

  it("maps the state codes, falling back to x_cod_response in ePayco's answer", async () => {
    const expected: Record<string, string | null> = {
      '1': 'accepted',
      '2': 'rejected',
      '4': 'rejected',
      '10': 'rejected',
      '11': 'rejected',
      '3': 'pending',
      '7': 'pending',
      '6': 'reversed',
      '9': null,
    };
    for (const [code, status] of Object.entries(expected)) assert.equal(epaycoStatus(code), status, `code ${code}`);
    const fields = epaycoFields({ x_ref_payco: '703', x_cod_response: '6' });
    delete fields.x_cod_transaction_state;
    await epayco.pay(fields);
    const delivery = await adapter.verify(toIncoming(sign(fields)), now);
    assert.equal(delivery.transactionStatus, 'reversed');
    assert.equal(delivery.providerEventId, '703:6');
  });

  it("hashes the amount exactly as received and compares it with ePayco's as a number", async () => {
    await epayco.pay(epaycoFields({ x_ref_payco: '704', x_amount: '250000.00' }));
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '704', x_amount: '250000' }))), now);
    assert.equal(delivery.summary.amount, 250000);
    assert.equal((delivery.payload as Record<string, unknown>).x_amount, '250000', 'the signed text is kept');
    const signed = sign(epaycoFields({ x_ref_payco: '704', x_amount: '250000' }));
    const reformatted = signed.body.replace('x_amount=250000', 'x_amount=250000.00');
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: reformatted }), now), 'SIGNATURE_INVALID', 401);
  });

  it('accepts the previous P_KEY during rotation; refuses a wrong one', async () => {
    await epayco.pay(epaycoFields());
    await adapter.verify(toIncoming(sign(epaycoFields(), 'POST', TEST_SECRETS.epaycoPKeyOld)), now);
    await rejectsWith(adapter.verify(toIncoming(sign(epaycoFields(), 'POST', 'wrong-key')), now), 'SIGNATURE_INVALID', 401);
  });

  it('refuses a forged signature, a changed byte and a missing x_signature (401) without asking ePayco', async () => {
    const asked = epayco.validations();
    const signed = sign(epaycoFields());
    const forged = signed.body.replace(/x_signature=[0-9a-f]/, (m) => (m.endsWith('0') ? 'x_signature=1' : 'x_signature=0'));
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: forged }), now), 'SIGNATURE_INVALID', 401);
    const changed = signed.body.replace('x_transaction_id=1234567890123', 'x_transaction_id=1234567890124');
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: changed }), now), 'SIGNATURE_INVALID', 401);
    const unsigned = new URLSearchParams(epaycoFields()).toString();
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: unsigned }), now), 'SIGNATURE_MISSING', 401);
    assert.equal(epayco.validations(), asked);
  });

  it('refuses missing fields and malformed form data (400)', async () => {
    const fields = epaycoFields();
    delete fields.x_ref_payco;
    const error = await rejectsWith(adapter.verify(toIncoming(sign(fields)), now), 'MISSING_FIELD', 400);
    assert.match(error.message, /x_ref_payco/);
    const signed = sign(epaycoFields());
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: '{"x_ref_payco":1}' }), now), 'MALFORMED_BODY', 400);
    await rejectsWith(adapter.verify(toIncoming({ ...signed, body: `${signed.body}&x_ref_payco=1` }), now), 'MALFORMED_BODY', 400);
  });

  it('refuses JSON or no content type (415) and GET when not accepted (405)', async () => {
    const signed = sign(epaycoFields());
    await rejectsWith(
      adapter.verify(toIncoming({ ...signed, headers: { 'content-type': 'application/json' } }), now),
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
    await rejectsWith(adapter.verify(toIncoming({ ...signed, headers: {} }), now), 'UNSUPPORTED_MEDIA_TYPE', 415);
    const postOnly = createEpaycoAdapter(epaycoConfig({ acceptGet: false, validation: { baseUrl: epayco.validationUrl } }));
    await rejectsWith(postOnly.verify(toIncoming(sign(epaycoFields(), 'GET')), now), 'METHOD_NOT_ALLOWED', 405);
  });

  it('with validation turned off, stores no transaction status and keeps state and invoice out of the payload', async () => {
    const unvalidated = createEpaycoAdapter(epaycoConfig({ validation: false }));
    const asked = epayco.validations();
    const delivery = await unvalidated.verify(toIncoming(sign(state('1', { x_ref_payco: '705' }))), now);
    assert.equal(epayco.validations(), asked, 'ePayco is not asked');
    assert.equal(delivery.transactionStatus, null, 'an unauthenticated "accepted" decides nothing');
    assert.equal(delivery.type, 'transaction.unverified');
    assert.equal(delivery.entityKey, '705', 'never the unauthenticated invoice');
    assert.equal(delivery.providerEventId, '705:unverified-1');
    const payload = delivery.payload as Record<string, unknown>;
    for (const field of ['x_cod_transaction_state', 'x_cod_response', 'x_id_invoice', 'x_extra1', 'x_approval_code']) {
      assert.equal(payload[field], undefined, field);
    }
    assert.equal((payload.unverified as Record<string, string>).x_cod_transaction_state, '1');
    assert.equal(delivery.summary.references?.validated, 'false');
    assert.equal(delivery.summary.references?.invoice, undefined);
    for (const code of ['123', '01', 'x']) {
      await rejectsWith(unvalidated.verify(toIncoming(sign(state(code, { x_ref_payco: '705' }))), now), 'MALFORMED_BODY', 400);
    }
  });
});
