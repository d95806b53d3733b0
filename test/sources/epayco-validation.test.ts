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
