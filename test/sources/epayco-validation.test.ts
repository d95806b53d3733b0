import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEpaycoAdapter } from '../../src/sources/epayco.js';
import type { SourceAdapter } from '../../src/sources/source.js';
import { epaycoConfig, startEpaycoSandbox, type EpaycoSandbox } from '../helpers/epayco-sandbox.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { epaycoFields, signEpayco, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

/** What webpig answers when ePayco's reference endpoint disagrees, does not know, or fails. */

const now = new Date('2025-06-01T12:00:00Z');
const sign = (fields: Record<string, string>) =>
  signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey: TEST_SECRETS.epaycoPKey, fields });

let epayco: EpaycoSandbox;
let adapter: SourceAdapter;
before(async () => {
  epayco = await startEpaycoSandbox();
  adapter = createEpaycoAdapter(epaycoConfig({ validation: { baseUrl: epayco.validationUrl, timeoutMs: 300 } }));
});
after(() => epayco.close());

describe('ePayco validation failures', () => {
  it('asks ePayco about the reference by default (https://secure.epayco.co)', () => {
    const config = epaycoConfig();
    assert.deepEqual(config.validation, { baseUrl: 'https://secure.epayco.co', timeoutMs: 5000 });
  });

  it('a reference ePayco does not know is refused (401)', async () => {
    const error = await rejectsWith(
      adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '800' }))), now),
      'VALIDATION_MISMATCH',
      401,
    );
    assert.match(error.message, /does not know the reference 800/);
  });

  it("a signed amount or currency that differs from ePayco's record is refused (401)", async () => {
    await epayco.pay(epaycoFields({ x_ref_payco: '801', x_amount: '100.00' }));
    await rejectsWith(adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '801' }))), now), 'VALIDATION_MISMATCH', 401);
    await epayco.pay(epaycoFields({ x_ref_payco: '802', x_currency_code: 'USD' }));
    await rejectsWith(adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '802' }))), now), 'VALIDATION_MISMATCH', 401);
  });

  it('ePayco failing, hanging or unreachable is a 503, so ePayco retries', async () => {
    await epayco.pay(epaycoFields({ x_ref_payco: '803' }));
    epayco.fail('error', 500);
    const failed = await rejectsWith(
      adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '803' }))), now),
      'VALIDATION_UNAVAILABLE',
      503,
    );
    assert.match(failed.message, /HTTP 500/);
    epayco.fail('timeout');
    await rejectsWith(adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '803' }))), now), 'VALIDATION_UNAVAILABLE', 503);
    // The faults are used up: the same confirmation is accepted on ePayco's next try.
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '803' }))), now);
    assert.equal(delivery.transactionStatus, 'accepted');
    const nowhere = createEpaycoAdapter(epaycoConfig({ validation: { baseUrl: 'http://127.0.0.1:9/epayco', timeoutMs: 300 } }));
    await rejectsWith(nowhere.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '803' }))), now), 'VALIDATION_UNAVAILABLE', 503);
  });
});

describe('ePayco test transactions on an account that is not in test mode', () => {
  // Anyone can make one: the checkout's public key, `test: true` and a test card. ePayco signs
  // its confirmation with the merchant's P_KEY and its reference endpoint reports it accepted.
  const testCard = { x_test_request: 'TRUE', x_approval_code: '000000' };

  it('a test transaction ePayco reports accepted is stored with no transaction status, its state out of the top level', async () => {
    await epayco.pay(epaycoFields({ x_ref_payco: '820', ...testCard }));
    const delivery = await adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '820', ...testCard }))), now);
    assert.equal(delivery.transactionStatus, null, 'no money moved');
    assert.equal(delivery.type, 'transaction.test');
    assert.equal(delivery.providerEventId, '820:1', 'the same dedupe key: a retry is a duplicate');
    assert.equal(delivery.entityKey, '820', "not the invoice's entity");
    assert.equal(
      (delivery.payload as Record<string, unknown>).x_cod_transaction_state,
      undefined,
      'a pipeline reading the state finds none',
    );
    assert.equal((delivery.payload as Record<string, unknown>).x_id_invoice, undefined);
    assert.deepEqual(Object.keys((delivery.payload as Record<string, unknown>).testTransaction as object).sort(), [
      'x_approval_code',
      'x_cod_response',
      'x_cod_transaction_state',
      'x_extra1',
      'x_id_invoice',
      'x_response',
    ]);
    assert.equal(delivery.summary.references?.testTransaction, 'true');
  });

  it("ePayco's word decides, not the request's: x_test_request TRUE alone, or accepted with the test approval code 000000 alone", async () => {
    await epayco.pay(epaycoFields({ x_ref_payco: '821', x_test_request: 'TRUE' }));
    assert.equal((await adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '821' }))), now)).type, 'transaction.test');
    await epayco.pay(epaycoFields({ x_ref_payco: '822', x_approval_code: '000000' }));
    assert.equal((await adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '822' }))), now)).type, 'transaction.test');
    // A live payment stays a payment whatever the request claims about tests.
    await epayco.pay(epaycoFields({ x_ref_payco: '823' }));
    const live = await adapter.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '823', ...testCard }))), now);
    assert.equal(live.transactionStatus, 'accepted');
    assert.equal(live.summary.references?.testTransaction, undefined);
  });

  it('with testMode: true (an account in test mode), a test transaction is a payment', async () => {
    const testing = createEpaycoAdapter(epaycoConfig({ testMode: true, validation: { baseUrl: epayco.validationUrl, timeoutMs: 300 } }));
    await epayco.pay(epaycoFields({ x_ref_payco: '824', ...testCard }));
    const delivery = await testing.verify(toIncoming(sign(epaycoFields({ x_ref_payco: '824', ...testCard }))), now);
    assert.equal(delivery.transactionStatus, 'accepted');
    assert.equal((delivery.payload as Record<string, unknown>).x_cod_transaction_state, '1');
  });
});
