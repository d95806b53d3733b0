import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { facturadorColumns } from '../../examples/facturador/pipeline.js';
import { retryEvent, rerunStage } from '../../src/engine/operations.js';
import { columnCell, resolveColumns } from '../../src/server/api/event-view.js';
import {
  assertExactlyOnce,
  FACTURADOR_EFFECT_STAGES,
  startFacturadorHarness,
  type FacturadorHarness,
} from '../helpers/facturador-harness.js';

/**
 * The Facturador end to end over real HTTP: signed ePayco confirmations into the ingestion
 * plugin, a worker running the 12 stages (the seeds' 11 and the invoice claim) against the
 * sandbox, and the sandbox's records counted afterwards.
 */

let h: FacturadorHarness;
beforeEach(async () => {
  h = await startFacturadorHarness();
});
afterEach(async () => h.close());

describe('Facturador pipeline, end to end', () => {
  it('runs all 12 stages for an accepted payment and puts customer and product in the summary', async () => {
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555001', state: '1' });
    const event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    const checkpoints = await h.store.getCheckpoints(id);
    assert.equal(checkpoints.length, 12);
    assert.ok(
      checkpoints.every((c) => c.status === 'success'),
      checkpoints.map((c) => `${c.stage}:${c.status}`).join(' '),
    );
    assert.equal(event.summary.customer?.name, 'Juan Pérez');
    assert.equal(event.summary.customer?.documentId, '1234567890');
    assert.equal(event.summary.customer?.email, 'juan@example.com');
    // ePayco's x_description gave the name; FR360's look-up added the product's id and price.
    assert.deepEqual(event.summary.product, { name: 'Membresía Elite', id: 'PROD-ELITE', price: 250000 });
    assert.equal(event.summary.amount, 250000);
    assert.equal(event.summary.references?.invoiceId, 'INV-ELITE-001');
    assertExactlyOnce(h, 'INV-ELITE-001', 250000);
    assert.equal(h.records('worldoffice', 'emissions').length, 1);
    // The WorldOffice invoice's number is one of the payment's references (the panel's "Factura en WorldOffice").
    const invoices = h.records('worldoffice', 'invoices');
    assert.equal(invoices.length, 1);
    assert.equal(event.summary.references?.worldofficeInvoice, String(invoices[0]?.number));
    assert.equal(event.summary.references?.invoice, 'INV-ELITE-001', "ePayco's x_id_invoice is kept");
  });

  it('shows each service call on the stage panel: method, URL, token redacted, bodies as sent and received, status', async () => {
    h.fault({ service: 'worldoffice', operation: 'create_invoice', mode: 'error', count: 1 });
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555010', state: '1' });
    const event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    const exchanges = await h.store.getStageExchanges(id);
    const creations = exchanges.filter((x) => x.stage === 'worldoffice_invoice_creation' && x.request.method === 'POST');
    assert.deepEqual(
      creations.map((x) => [x.attempt, x.response?.status]),
      [
        [1, 503],
        [2, 201],
      ],
    );
    const [failed, created] = creations;
    assert.equal(failed?.request.url, `${h.baseUrl}/sandbox/worldoffice/invoices`);
    assert.equal(failed?.request.headers.authorization, '[redacted]');
    assert.equal(failed?.request.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(failed?.request.body ?? '{}').reference, created && JSON.parse(created.request.body ?? '{}').reference);
    assert.equal(JSON.parse(failed?.response?.body ?? '{}').error?.code, 'SANDBOX_FAULT');
    assert.match(failed?.response?.headers['content-type'] ?? '', /application\/json/);
    // Stored as a JSON text is (pretty-printed), with the sandbox's own reply.
    const invoice = (await h.checkpoint(id, 'worldoffice_invoice_creation'))?.data as { invoiceId?: number } | null;
    assert.match(created?.response?.body ?? '', /^\{\n {2}"/);
    assert.equal(JSON.parse(created?.response?.body ?? '{}').id, invoice?.invoiceId);
    assert.equal(typeof created?.durationMs, 'number');
    // The services that honour an Idempotency-Key get the stage's, shown as sent.
    const membership = exchanges.find((x) => x.stage === 'membership_creation' && x.request.method === 'POST');
    assert.match(membership?.request.headers['idempotency-key'] ?? '', /^webpig:epayco:invoice:INV-ELITE-001:/);
  });

  it('runs no stage for a rejected payment and says why', async () => {
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555002', state: '2' });
    const event = await h.waitForStatus(id, ['ignored', 'succeeded', 'dead']);
    assert.equal(event.status, 'ignored');
    assert.equal(event.ignoreReason?.kind, 'not_applicable');
    assert.match(event.ignoreReason?.detail ?? '', /rejected/);
    assert.deepEqual(await h.store.getCheckpoints(id), []);
    assert.equal(h.records('fr360', 'queries').length, 0);
    // The dashboard's columns for it: every one "not applicable", as the seeds' getStageStatus.
    const cells = resolveColumns(facturadorColumns, h.pipelines).map((column) => [column.key, columnCell(event, [], column).state]);
    assert.deepEqual(
      cells,
      facturadorColumns.map((c) => [c.key, 'not_applicable']),
    );
  });

  it('goes dead, without retrying, when FR360 does not know the invoice (permanent 404)', async () => {
    const id = await h.sendConfirmation({ invoiceId: 'UNKNOWN-1', refPayco: '555003', state: '1' });
    const event = await h.waitForStatus(id, ['dead', 'succeeded']);
    assert.equal(event.status, 'dead');
    assert.equal((await h.checkpoint(id, 'fr360_query'))?.error?.httpStatus, 404);
    assert.equal(h.records('fr360', 'queries').length, 1, 'a permanent error is not retried');
    assert.equal(h.records('callbell', 'messages').length, 0);
  });

  it('replays the incident of webhook 373: fail at crm_upsert, retry, retry again, every effect once', async () => {
    // The original failure: the CRM refused the contact (a 4xx: permanent, the event goes dead).
    h.fault({ service: 'clientify', operation: 'upsert_contact', mode: 'error', count: 1, status: 422 });
    const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
    let event = await h.waitForStatus(id, ['dead', 'succeeded']);
    assert.equal(event.status, 'dead');
    assert.equal((await h.checkpoint(id, 'crm_upsert'))?.status, 'error');
    for (const stage of ['invoice_extraction', 'fr360_query', 'callbell_notification', 'membership_creation']) {
      assert.equal((await h.checkpoint(id, stage))?.status, 'success', stage);
    }

    // First retry: resumes at crm_upsert and completes.
    await retryEvent(h.store, id, 'ops@example.com');
    event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    assertExactlyOnce(h, 'INV-373', 403125);

    // Second retry of a completed event: refused, nothing runs.
    await assert.rejects(retryEvent(h.store, id, 'ops@example.com'), (err: Error & { code?: string }) => err.code === 'NOT_RETRIABLE');

    // What the second retry did in the incident (re-ran CRM, WorldOffice and Strapi), forced on
    // purpose stage by stage: the look-ups by reference and idempotency keys keep every effect single.
    for (const stage of FACTURADOR_EFFECT_STAGES) {
      const attemptsBefore = (await h.checkpoint(id, stage))?.attempts ?? 0;
      await rerunStage(h.store, h.pipelines, id, stage, 'ops@example.com');
      event = await h.waitForStatus(id, ['succeeded', 'dead']);
      assert.equal(event.status, 'succeeded', `${stage}: ${JSON.stringify(event.lastError)}`);
      const after = await h.checkpoint(id, stage);
      assert.equal(after?.status, 'success', stage);
      assert.equal(after?.attempts, attemptsBefore + 1, `${stage} really ran again`);
    }
    assertExactlyOnce(h, 'INV-373', 403125);
    assert.equal(h.records('worldoffice', 'emissions').length, 1);
    assert.equal(h.records('clientify', 'contacts')[0]?.email, 'Cliente@Example.com');
  });

  it('skips DIAN emission naming the flag while it is off; turned on, a re-run emits once', async () => {
    await h.setFlag('WORLDOFFICE_DIAN_ENABLED', false);
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555004', state: '1' });
    await h.waitForStatus(id, ['succeeded', 'dead']);
    const skipped = await h.checkpoint(id, 'worldoffice_dian_emission');
    assert.equal(skipped?.status, 'skipped');
    assert.deepEqual(skipped?.skipReason, { kind: 'flag', flag: 'WORLDOFFICE_DIAN_ENABLED', value: false });
    assert.equal(h.records('worldoffice', 'emissions').length, 0);

    await h.setFlag('WORLDOFFICE_DIAN_ENABLED', true);
    await rerunStage(h.store, h.pipelines, id, 'worldoffice_dian_emission', 'finance1@example.com');
    await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal((await h.checkpoint(id, 'worldoffice_dian_emission'))?.status, 'success');
    assert.equal(h.records('worldoffice', 'emissions').length, 1);

    // Re-running it once more still emits once (WorldOffice answers ALREADY_EMITTED).
    await rerunStage(h.store, h.pipelines, id, 'worldoffice_dian_emission', 'finance1@example.com');
    await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(h.records('worldoffice', 'emissions').length, 1);
    assert.equal((await h.checkpoint(id, 'worldoffice_dian_emission'))?.status, 'success');
  });

  it('with WORLDOFFICE_INVOICE_ENABLED off: no invoice, accounting and DIAN skipped by dependency, the ledgers still updated', async () => {
    await h.setFlag('WORLDOFFICE_INVOICE_ENABLED', false);
    const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '555005', state: '1' });
    const event = await h.waitForStatus(id, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    assert.deepEqual((await h.checkpoint(id, 'worldoffice_invoice_creation'))?.skipReason, {
      kind: 'flag',
      flag: 'WORLDOFFICE_INVOICE_ENABLED',
      value: false,
    });
    for (const stage of ['worldoffice_invoice_accounting', 'worldoffice_dian_emission']) {
      const checkpoint = await h.checkpoint(id, stage);
      assert.equal(checkpoint?.status, 'skipped', stage);
      assert.equal(checkpoint?.skipReason?.kind, 'dependency', stage);
    }
    assert.equal(h.records('worldoffice', 'invoices').length, 0);
    assert.equal(h.records('strapi', 'carteras')[0]?.totalPaid, 250000);
    assert.equal(h.records('strapi', 'facturacions')[0]?.invoiceNumber, null);
  });
});
