import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineText, logLineText } from '../../src/dashboard/app/engine-notes.js';
import { translator } from '../../src/dashboard/app/i18n.js';

/** The engine's fixed English texts (attempt notes, its own log lines) read in the page's language. */
describe('engine texts on the page', () => {
  const es = translator('es');
  const en = translator('en');

  it('translates the attempt notes and log lines the engine writes, and leaves a connector’s words alone', () => {
    assert.equal(engineText(es, 'retry after error'), 'reintento tras un error');
    assert.equal(engineText(en, 'retry after error'), 'retry after an error');
    assert.equal(engineText(es, 'stage failed'), 'La etapa falló');
    assert.equal(engineText(es, 'creating invoice FV-1'), 'creating invoice FV-1');
  });

  it('names the blocking dependency by its label and its state in the language', () => {
    const entry = {
      at: '2026-12-06T12:00:00Z',
      level: 'warn' as const,
      stage: 'worldoffice_dian_emission',
      attempt: null,
      message: 'not run: dependency "worldoffice_invoice_accounting" is error',
      fields: { dependency: 'worldoffice_invoice_accounting', status: 'error' },
    };
    const label = (stage: string) => (stage === 'worldoffice_invoice_accounting' ? 'Contabilización de la factura' : stage);
    assert.equal(logLineText(es, entry, label), 'No se ejecutó: espera a Contabilización de la factura (Error)');
    assert.equal(
      logLineText(en, entry, () => 'Invoice accounting'),
      'Not run: waiting for Invoice accounting (Error)',
    );
  });
});
