import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { signEpayco } from '../../src/sources/signing.js';
import { confirmationFields } from '../../src/sandbox/epayco-confirmations.js';
import { EPAYCO, startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';
import { startIngestServer } from '../helpers/ingest-server.js';
import { sendDelivery } from '../helpers/signing.js';

/**
 * Issue 17 item 1, as an attacker does it: a customer holds the signed confirmation of their
 * own pending payment (the response page carries the same parameters) and re-sends it with
 * `x_cod_transaction_state=1` — and another x_id_invoice. x_signature does not cover either,
 * so before webpig validated every confirmation with ePayco, each forgery was a new accepted
 * event: invoiced, emitted to the DIAN, a membership created. Over real HTTP, against the
 * sandbox's ePayco (which knows the payment is pending) and the Facturador's worker.
 */

let h: FacturadorHarness;
before(async () => {
  h = await startFacturadorHarness();
});
after(() => h.close());

const pendingPayment = (refPayco: string) => ({ invoiceId: 'INV-ELITE-001', refPayco, state: '3' as const });

/** The customer's copy of their pending confirmation, with the fields they choose changed. */
function forged(refPayco: string, changes: Record<string, string>) {
  const fields = { ...confirmationFields({ ...pendingPayment(refPayco), customerId: EPAYCO.customerId }), ...changes };
  return signEpayco({ customerId: EPAYCO.customerId, pKey: EPAYCO.pKey, fields });
}

describe('a forged ePayco state over HTTP', () => {
  it('ten signed pending confirmations re-sent as accepted, for other invoices, make no event, no invoice, no membership', async () => {
    const pendingIds: number[] = [];
    for (let i = 0; i < 10; i++) {
      const refPayco = String(661000 + i);
      pendingIds.push(await h.sendConfirmation(pendingPayment(refPayco)));
      const reply = await sendDelivery(
        h.baseUrl,
        'epayco',
        forged(refPayco, {
          x_cod_transaction_state: '1',
          x_cod_response: '1',
          x_response: 'Aceptada',
          x_id_invoice: `INV-ELITE-00${i % 3}`,
        }),
      );
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(reply.body, { id: pendingIds[i], status: 'duplicate' }, 'it is the pending event again');
    }
    await h.waitForIdle();
    assert.equal(await h.store.countEvents({}), 10, 'one event per payment: the pending one');
    assert.equal(await h.store.countEvents({ transactionStatus: 'accepted' }), 0);
    assert.equal(await h.store.countEvents({ status: ['ignored'] }), 10, 'pending payments are not invoiced');
    for (const id of pendingIds) {
      const event = await h.store.getEvent(id);
      assert.equal(event?.transactionStatus, 'pending');
      assert.equal(event?.entityKey, 'invoice:INV-ELITE-001', 'the invoice ePayco reports, not the forged one');
      assert.equal(event?.summary.references?.validated, 'true');
    }
    assert.equal(h.records('worldoffice', 'invoices').length, 0, 'no invoice');
    assert.equal(h.records('worldoffice', 'emissions').length, 0, 'nothing sent to the DIAN');
    assert.equal(h.records('frapp', 'memberships').length, 0, 'no membership');
  });

  it('a forgery that arrives first is stored as the pending payment ePayco reports, and once the payment really is accepted it is invoiced once', async () => {
    h.makePayment(pendingPayment('662000'));
    const first = await sendDelivery(h.baseUrl, 'epayco', forged('662000', { x_cod_transaction_state: '1', x_cod_response: '1' }));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const stored = await h.waitForStatus(first.body.id as number, ['ignored', 'succeeded', 'dead']);
    assert.equal(stored.transactionStatus, 'pending');
    assert.equal(stored.providerEventId, '662000:3');
    const accepted = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '662000', state: '1' });
    const event = await h.waitForStatus(accepted, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    assert.equal(h.records('worldoffice', 'invoices').length, 1, 'the real payment is invoiced, once');
  });

  it('a test-card payment (the checkout in test mode, which anyone can set) is kept, not invoiced, on a production account', async () => {
    // ePayco signs a test transaction's confirmation with the merchant's P_KEY and reports it
    // accepted; only x_test_request / the 000000 approval code say no money moved.
    const fields = {
      ...confirmationFields({ invoiceId: 'INV-ELITE-002', refPayco: '665000', state: '1', customerId: EPAYCO.customerId }),
      x_test_request: 'TRUE',
      x_approval_code: '000000',
    };
    h.sandbox.insert('epayco', 'transactions', fields);
    const invoices = h.records('worldoffice', 'invoices').length;
    const memberships = h.records('frapp', 'memberships').length;
    const reply = await sendDelivery(h.baseUrl, 'epayco', signEpayco({ customerId: EPAYCO.customerId, pKey: EPAYCO.pKey, fields }));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const event = await h.waitForStatus(reply.body.id as number, ['ignored', 'succeeded', 'dead']);
    assert.equal(event.status, 'ignored', JSON.stringify(event.lastError));
    assert.equal(event.type, 'transaction.test');
    assert.equal(event.transactionStatus, null);
    assert.equal(event.summary.references?.testTransaction, 'true');
    assert.match(event.ignoreReason?.texts?.es ?? '', /transacción de prueba de ePayco/, 'the reason says why, not "estado desconocido"');
    assert.equal(h.records('worldoffice', 'invoices').length, invoices, 'no invoice');
    assert.equal(h.records('frapp', 'memberships').length, memberships, 'no membership');
  });

  it('a confirmation ePayco does not know is refused (401) and stores nothing', async () => {
    const before = await h.store.countEvents({});
    const reply = await sendDelivery(h.baseUrl, 'epayco', forged('663000', {}));
    assert.equal(reply.status, 401);
    assert.equal((reply.body.error as { code?: string } | undefined)?.code, 'VALIDATION_MISMATCH');
    assert.equal(await h.store.countEvents({}), before);
  });
});

describe('ePayco validation turned off', () => {
  let off: FacturadorHarness;
  before(async () => {
    off = await startFacturadorHarness({ epaycoValidation: false });
  });
  after(() => off.close());

  it('a signed "accepted" confirmation decides nothing: stored without a transaction status, not invoiced', async () => {
    const reply = await sendDelivery(off.baseUrl, 'epayco', forged('664000', { x_cod_transaction_state: '1', x_cod_response: '1' }));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const event = await off.waitForStatus(reply.body.id as number, ['ignored', 'succeeded', 'dead']);
    assert.equal(event.transactionStatus, null);
    assert.equal(event.type, 'transaction.unverified');
    assert.equal(event.status, 'ignored', 'the Facturador finds no accepted state to invoice');
    assert.equal(off.records('worldoffice', 'invoices').length, 0);
    assert.equal(off.records('frapp', 'memberships').length, 0);
  });

  it('is announced at start by a warning in the log, which names no secret', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const server = await startIngestServer({
      logger: pino({ level: 'info' }, sink),
      sources: [{ name: 'epayco', kind: 'epayco', customerId: EPAYCO.customerId, pKeys: [EPAYCO.pKey], validation: false }],
    });
    await server.close();
    assert.match(logged, /"level":40.*source \\"epayco\\": ePayco validation is off/);
    assert.doesNotMatch(logged, new RegExp(EPAYCO.pKey));
  });
});
