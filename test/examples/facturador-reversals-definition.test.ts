import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import type { FacturadorStore } from '../../examples/facturador/payments.js';
import { facturadorColumns, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { facturadorReversalPipeline } from '../../examples/facturador/reversals.js';
import { eventFrom } from '../helpers/event-record.js';

const store = {} as FacturadorStore; // never called while defining
const config = { ...sandboxFacturadorConfig('http://127.0.0.1:1'), store };

describe('Facturador reversal pipeline definition', () => {
  it('has its stages in order, with the Facturador columns and the invoice flag on the credit note, each labelled in es and en', () => {
    const reversals = facturadorReversalPipeline(config);
    assert.deepEqual(
      reversals.stages.map((s) => [s.name, s.column ?? null, s.flag ?? null, s.dependsOn ?? []]),
      [
        ['invoice_extraction', null, null, []],
        ['reversal_payment', null, null, ['invoice_extraction']],
        ['fr360_query', null, null, ['reversal_payment']],
        ['worldoffice_credit_note', 'Factura', 'WORLDOFFICE_INVOICE_ENABLED', ['reversal_payment']],
        ['strapi_cartera_reversal', 'Cartera', null, ['fr360_query']],
        ['strapi_facturacion_reversal', 'Ventas', null, ['fr360_query']],
        ['callbell_reversal_notification', null, null, ['fr360_query']],
      ],
    );
    const columns = new Set(facturadorColumns.map((c) => c.key));
    for (const stage of reversals.stages) {
      if (stage.column) assert.ok(columns.has(stage.column), stage.name);
      const label = stage.label as { es?: string; en?: string } | undefined;
      assert.ok(label?.es && label.en, `${stage.name} is labelled in both languages`);
    }
    assert.deepEqual(
      reversals.stages.filter((s) => s.reconcile).map((s) => s.name),
      ['worldoffice_credit_note', 'strapi_cartera_reversal'],
    );
  });

  it("takes its source's reversals, and the Facturador with a store leaves them to it, whichever comes first", () => {
    const reversals = facturadorReversalPipeline(config);
    const payments = facturadorPipeline(config);
    assert.equal(reversals.match(eventFrom('epayco', 'reversed')), true);
    assert.equal(reversals.match(eventFrom('epayco', 'accepted')), false);
    assert.equal(reversals.match(eventFrom('other', 'reversed')), false);
    assert.equal(payments.match(eventFrom('epayco', 'reversed')), false);
    assert.equal(payments.match(eventFrom('epayco', 'accepted')), true);
    const withoutStore = facturadorPipeline(sandboxFacturadorConfig('http://127.0.0.1:1'));
    assert.equal(withoutStore.match(eventFrom('epayco', 'reversed')), true, 'without the store a reversal stays "not applicable" there');
    assert.deepEqual(withoutStore.notApplicable?.(eventFrom('epayco', 'reversed')), {
      es: 'transacción reversada: solo se facturan los pagos aceptados',
      en: 'transaction reversed: only accepted payments are invoiced',
    });
  });

  it('refuses to be built without the store, saying why', () => {
    assert.throws(
      () => facturadorReversalPipeline(sandboxFacturadorConfig('http://127.0.0.1:1')),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /needs `store`/);
        return true;
      },
    );
  });

  it('applies stageTimeoutMs to every stage', () => {
    const timed = facturadorReversalPipeline({ ...config, stageTimeoutMs: 1234 });
    assert.deepEqual([...new Set(timed.stages.map((s) => s.timeoutMs))], [1234]);
  });
});
