import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reconcileSource } from '../../src/engine/reconcile.js';
import { providerListFor } from '../../src/engine/reconcile-lists.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { epaycoReferenceList } from '../../src/sources/listing/epayco-references.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { epaycoFields, sendDelivery, signEpayco, TEST_SECRETS } from '../helpers/signing.js';

/**
 * ePayco has no list endpoint: its reconciliation looks up the references the shop gives, at
 * the sandbox's reference endpoint over HTTP, and creates what the validated confirmation would.
 */
describe('ePayco reconciliation by reference', () => {
  let store: SqliteStore;
  let server: IngestServer;
  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    server = await startIngestServer({ store, closeStore: false });
  });
  after(async () => {
    await server?.close();
    await store?.close();
  });
  const confirm = (fields: Record<string, string>) =>
    sendDelivery(
      server.baseUrl,
      'epayco',
      signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey: TEST_SECRETS.epaycoPKey, fields }),
    );

  it('creates the confirmation that never arrived with its dedupe key; known and unknown references create nothing', async () => {
    const confirmed = epaycoFields({ x_ref_payco: '5001', x_id_invoice: 'INV-5001' });
    const lost = epaycoFields({ x_ref_payco: '5002', x_id_invoice: 'INV-5002' });
    await server.epayco.pay(confirmed);
    await server.epayco.pay(lost);
    assert.equal((await confirm(confirmed)).status, 200);
    const list = epaycoReferenceList({
      validation: { baseUrl: server.epayco.validationUrl, timeoutMs: 5_000 },
      references: () => ['5001', '5002', '9999'],
      pageSize: 2,
    });
    const result = await reconcileSource({ store, source: 'epayco', list, since: new Date(0) });
    assert.deepEqual(
      result.created.map((e) => [e.providerEventId, e.entityKey, e.type, e.origin]),
      [['5002:1', 'invoice:INV-5002', 'transaction.accepted', 'reconciliation']],
    );
    assert.equal(result.listed, 2, 'the unknown reference is skipped');
    assert.deepEqual((await store.getReconciliationState('epayco'))?.covered, { by: 'references' }, 'no window of dates is claimed');
    const late = await confirm(lost);
    assert.deepEqual(late.body, { id: result.created[0]?.id, status: 'duplicate' }, 'the late confirmation is a duplicate');

    // The summary a confirmation gives: the same amount, currency, customer and product.
    const webhook = await store.findEventByProviderId('epayco', '5001:1');
    const { references: _webhookReferences, ...asWebhook } = webhook?.summary ?? {};
    const { references: _foundReferences, ...found } = result.created[0]?.summary ?? {};
    assert.deepEqual(found, asWebhook);
    assert.deepEqual(result.created[0]?.occurredAt, webhook?.occurredAt, 'x_fecha_transaccion read in Colombia time, as the webhook');
  });

  it('a payment reversed after its confirmation, whose reversal never arrived, is found as reversed', async () => {
    const accepted = epaycoFields({ x_ref_payco: '5101', x_id_invoice: 'INV-5101' });
    await server.epayco.pay(accepted);
    assert.equal((await confirm(accepted)).status, 200);
    await server.epayco.pay({ ...accepted, x_cod_transaction_state: '6', x_cod_response: '6', x_response: 'Reversada' });
    const list = epaycoReferenceList({
      validation: { baseUrl: server.epayco.validationUrl, timeoutMs: 5_000 },
      references: () => ['5101'],
    });
    const result = await reconcileSource({ store, source: 'epayco', list, since: new Date(0) });
    assert.deepEqual(
      result.created.map((e) => [e.providerEventId, e.entityKey, e.transactionStatus]),
      [['5101:6', 'invoice:INV-5101', 'reversed']],
    );
    const again = await reconcileSource({ store, source: 'epayco', list, since: new Date(0) });
    assert.equal(again.created.length, 0);
  });

  it("another merchant's accepted reference, typed into the shop by a customer, is not made this account's payment", async () => {
    // ePayco's reference endpoint answers about any merchant's reference. A webhook for it would
    // need this account's P_KEY; a reconciliation look-up needs only the reference.
    await server.epayco.pay(epaycoFields({ x_ref_payco: '5201', x_cust_id_cliente: '7654321', x_id_invoice: 'INV-5201' }));
    await server.epayco.pay(epaycoFields({ x_ref_payco: '5202', x_id_invoice: 'INV-5202' }));
    const list = epaycoReferenceList({
      validation: { baseUrl: server.epayco.validationUrl, timeoutMs: 5_000 },
      references: () => ['5201', '5202'],
      customerId: TEST_SECRETS.epaycoCustomerId,
    });
    const result = await reconcileSource({ store, source: 'epayco', list, since: new Date(0) });
    assert.deepEqual(
      result.created.map((e) => e.providerEventId),
      ['5202:1'],
      "only this account's payment; 5201 (customer 7654321) is skipped",
    );
  });

  it('providerListFor gives the configured source its customer id and test mode', async () => {
    const [sourceConfig] = parseSourceConfigs([
      { name: 'epayco', kind: 'epayco', customerId: TEST_SECRETS.epaycoCustomerId, pKeys: ['k'] },
    ]);
    await server.epayco.pay(epaycoFields({ x_ref_payco: '5301', x_cust_id_cliente: '7654321' }));
    const list = providerListFor({
      source: 'epayco',
      kind: 'epayco',
      settings: { apiBaseUrl: server.epayco.validationUrl, references: () => ['5301'] },
      recordedApiBaseUrl: null,
      env: {},
      ...(sourceConfig ? { sourceConfig } : {}),
    });
    assert.deepEqual((await list.page(new Date(0), null)).items, [], "another merchant's reference");
  });
});
