import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../src/core/errors.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import { extractInvoice } from '../../examples/facturador/data.js';
import type { FacturadorStore } from '../../examples/facturador/payments.js';
import { facturadorColumns, facturadorFlags, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { eventFrom } from '../helpers/event-record.js';

const pipeline = facturadorPipeline(sandboxFacturadorConfig('http://127.0.0.1:1'));

describe('Facturador definition', () => {
  it('has the seeds 11 stages in order, with their columns and flags', () => {
    assert.deepEqual(
      pipeline.stages.map((s) => [s.name, s.column ?? null, s.flag ?? null]),
      [
        ['invoice_extraction', null, null],
        ['fr360_query', null, null],
        ['callbell_notification', null, null],
        ['membership_creation', 'FRAPP', 'MEMBERSHIPS_ENABLED'],
        ['crm_upsert', 'CRM', null],
        ['worldoffice_customer', 'WO', null],
        ['worldoffice_invoice_creation', 'Factura', 'WORLDOFFICE_INVOICE_ENABLED'],
        ['worldoffice_invoice_accounting', 'Factura', null],
        ['worldoffice_dian_emission', 'DIAN', 'WORLDOFFICE_DIAN_ENABLED'],
        ['strapi_cartera_update', 'Cartera', null],
        ['strapi_facturacion_creation', 'Ventas', null],
      ],
    );
    assert.deepEqual(
      facturadorColumns.map((c) => c.key),
      ['FRAPP', 'CRM', 'WO', 'Factura', 'DIAN', 'Cartera', 'Ventas'],
    );
    const columnsUsed = new Set(pipeline.stages.flatMap((s) => (s.column ? [s.column] : [])));
    assert.deepEqual([...columnsUsed].sort(), facturadorColumns.map((c) => c.key).sort());
  });

  it('with the store: the invoice claim second, fr360_query behind it, and no entity gate (the claim decides)', () => {
    const store = {} as FacturadorStore; // never called while defining
    const withStore = facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:1'), store });
    assert.deepEqual(
      withStore.stages.slice(0, 3).map((s) => [s.name, s.dependsOn ?? []]),
      [
        ['invoice_extraction', []],
        ['invoice_payment', ['invoice_extraction']],
        ['fr360_query', ['invoice_payment']],
      ],
    );
    assert.equal(withStore.stages.length, 12);
    assert.equal(withStore.entity, undefined);
    assert.ok(pipeline.entity, 'without the store the entity gate stays');
    assert.deepEqual(
      withStore.stages.filter((s) => s.reconcile).map((s) => s.name),
      ['invoice_payment', 'worldoffice_invoice_creation', 'strapi_cartera_update'],
    );
  });

  it('gives every stage flag a description and the seeds permission list', () => {
    const flagsUsed = pipeline.stages.flatMap((s) => (s.flag ? [s.flag] : []));
    assert.deepEqual(facturadorFlags.map((f) => f.key).sort(), flagsUsed.sort());
    const allowed = Object.fromEntries(facturadorFlags.map((f) => [f.key, f.allowed]));
    assert.deepEqual(allowed, {
      MEMBERSHIPS_ENABLED: ['admin'],
      WORLDOFFICE_INVOICE_ENABLED: ['admin', 'finance'],
      WORLDOFFICE_DIAN_ENABLED: ['admin', 'finance'],
    });
    // Shipped flags say what they do in both of the dashboard's languages.
    for (const flag of facturadorFlags) {
      assert.ok(typeof flag.description === 'object', `${flag.key}: texts by language`);
      assert.ok((flag.description.es?.length ?? 0) > 10 && (flag.description.en?.length ?? 0) > 10, `${flag.key}: es and en`);
    }
  });

  it('reconciles the two stages whose services have no idempotency key', () => {
    const reconciled = pipeline.stages.filter((s) => s.reconcile).map((s) => s.name);
    assert.deepEqual(reconciled, ['worldoffice_invoice_creation', 'strapi_cartera_update']);
  });

  it('handles its own ePayco source, and only accepted payments', () => {
    assert.equal(pipeline.match(eventFrom('epayco', 'accepted')), true);
    assert.equal(pipeline.match(eventFrom('stripe', 'accepted')), false);
    assert.equal(pipeline.notApplicable?.(eventFrom('epayco', 'accepted')), undefined);
    // The reason in both languages: the dashboard shows the Spanish to a Spanish reader.
    assert.deepEqual(pipeline.notApplicable?.(eventFrom('epayco', 'rejected')), {
      es: 'transacción rechazada: solo se facturan los pagos aceptados',
      en: 'transaction rejected: only accepted payments are invoiced',
    });
    assert.deepEqual(pipeline.notApplicable?.(eventFrom('epayco', 'pending')), {
      es: 'transacción pendiente: solo se facturan los pagos aceptados',
      en: 'transaction pending: only accepted payments are invoiced',
    });
    assert.equal(pipeline.notApplicable?.(eventFrom('epayco', null, { x_cod_transaction_state: '1' })), undefined);
    assert.deepEqual(pipeline.notApplicable?.(eventFrom('epayco', null, { x_cod_response: '99' })), {
      es: 'transacción con estado 99 de ePayco: solo se facturan los pagos aceptados',
      en: 'transaction with ePayco state 99: only accepted payments are invoiced',
    });
    const other = facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:1'), source: 'epayco-co' });
    assert.equal(other.match(eventFrom('epayco-co', 'accepted')), true);
  });

  it('applies a configured stage timeout to every stage', () => {
    const timed = facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:1'), stageTimeoutMs: 1234 });
    assert.ok(timed.stages.every((s) => s.timeoutMs === 1234));
    assert.ok(pipeline.stages.every((s) => s.timeoutMs === undefined));
  });

  it('refuses, permanently, a confirmation without an invoice id or with a bad amount', () => {
    assert.deepEqual(
      extractInvoice({ x_id_invoice: 'INV-1', x_amount: '403125.00', x_currency_code: 'COP', x_ref_payco: '9', x_transaction_id: '8' }),
      {
        invoiceId: 'INV-1',
        amount: 403125,
        currency: 'COP',
        refPayco: '9',
        transactionId: '8',
      },
    );
    assert.equal(extractInvoice({ x_extra1: 'ORDER-7', x_amount: '1' }).invoiceId, 'ORDER-7');
    assert.throws(
      () => extractInvoice({ x_amount: '1' }),
      (err: unknown) => err instanceof PermanentError && err.code === 'NO_INVOICE_ID',
    );
    assert.throws(
      () => extractInvoice({ x_id_invoice: 'I', x_amount: 'abc' }),
      (err: unknown) => err instanceof PermanentError && err.code === 'BAD_AMOUNT',
    );
  });
});
