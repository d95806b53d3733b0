import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { ConfigError } from '../../src/core/errors.js';

const noop = async () => undefined;

describe('definePipeline', () => {
  it('accepts a valid pipeline', () => {
    const p = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        { name: 'a', run: noop },
        { name: 'b', dependsOn: ['a'], run: noop },
      ],
    });
    assert.equal(p.stages.length, 2);
  });

  it('names the stage with an unknown dependency', () => {
    assert.throws(
      () => definePipeline({ name: 'p', match: () => true, stages: [{ name: 'a', dependsOn: ['zz'], run: noop }] }),
      (err: unknown) => err instanceof ConfigError && /stage "a" depends on unknown stage "zz"/.test(err.message),
    );
  });

  it('accepts a stage label as one text or texts by language, and names a bad one', () => {
    const p = definePipeline({
      name: 'p',
      match: () => true,
      stages: [
        { name: 'a', label: 'Consulta', run: noop },
        { name: 'b', label: { es: 'Factura', en: 'Invoice' }, run: noop },
      ],
    });
    assert.deepEqual(p.stages[1]?.label, { es: 'Factura', en: 'Invoice' });
    const bad = (label: unknown) => () =>
      definePipeline({ name: 'p', match: () => true, stages: [{ name: 'a', label: label as string, run: noop }] });
    assert.throws(bad(''), /stage "a" label is empty/);
    assert.throws(bad({ fr: 'Facture' }), /stage "a" label has an unknown language "fr"/);
    assert.throws(bad({ es: ' ' }), /stage "a" label has an empty es text/);
    // A pipeline's own label follows the same rule.
    const labelled = definePipeline({
      name: 'p',
      label: { es: 'Pedidos', en: 'Orders' },
      match: () => true,
      stages: [{ name: 'a', run: noop }],
    });
    assert.deepEqual(labelled.label, { es: 'Pedidos', en: 'Orders' });
    assert.throws(
      () => definePipeline({ name: 'p', label: { de: 'Bestellungen' } as never, match: () => true, stages: [{ name: 'a', run: noop }] }),
      /pipeline "p" label has an unknown language "de"/,
    );
  });

  it('names a duplicate stage', () => {
    assert.throws(
      () =>
        definePipeline({
          name: 'p',
          match: () => true,
          stages: [
            { name: 'a', run: noop },
            { name: 'a', run: noop },
          ],
        }),
      /duplicate stage name "a"/,
    );
  });

  it('finds a cycle and prints it', () => {
    assert.throws(
      () =>
        definePipeline({
          name: 'p',
          match: () => true,
          stages: [
            { name: 'a', dependsOn: ['c'], run: noop },
            { name: 'b', dependsOn: ['a'], run: noop },
            { name: 'c', dependsOn: ['b'], run: noop },
          ],
        }),
      /dependency cycle a → c → b → a/,
    );
  });
});
