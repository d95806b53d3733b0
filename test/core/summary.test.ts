/**
 * annotate()'s patch check: known fields with the right types pass; anything else is refused
 * with the field named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSummaryPatch, mergeSummary, SummaryInvalidError } from '../../src/core/summary.js';

describe('checkSummaryPatch', () => {
  it('accepts every documented field, and drops undefined values', () => {
    const patch = {
      customer: { name: 'Ana', documentId: '1020', email: 'ana@example.com', phone: '+57 300', extra: undefined },
      product: { name: 'Curso', id: 'PROD-1', category: 'Cursos', price: 403125, extra: undefined },
      amount: 403125.5,
      currency: 'COP',
      references: { invoiceId: 'FV-1' },
      currencyHint: undefined,
    };
    assert.deepEqual(checkSummaryPatch(patch), {
      customer: { name: 'Ana', documentId: '1020', email: 'ana@example.com', phone: '+57 300' },
      product: { name: 'Curso', id: 'PROD-1', category: 'Cursos', price: 403125 },
      amount: 403125.5,
      currency: 'COP',
      references: { invoiceId: 'FV-1' },
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'Ana', /expected an object, got string/],
    ['unknown top field', { customerName: 'Ana' }, /unknown field "customerName"/],
    ['unknown customer field', { customer: { cedula: '1' } }, /unknown field "customer.cedula"/],
    ['amount as a string', { amount: '403125' }, /amount must be a finite number, got string/],
    ['amount NaN', { amount: Number.NaN }, /amount must be a finite number, got NaN/],
    ['customer as a string', { customer: 'Ana' }, /customer must be an object, got string/],
    ['a number as document id', { customer: { documentId: 1020 } }, /customer.documentId must be a string, got number/],
    ['references as an array', { references: ['FV-1'] }, /references must be an object, got an array/],
    ['a null reference', { references: { order: null } }, /references.order must be a string, got null/],
    ['product as a bare name', { product: 'Curso' }, /product must be an object, got string \(pass \{ name: "\.\.\." \}\)/],
    ['product as an array', { product: ['Curso'] }, /product must be an object, got an array/],
    ['unknown product field', { product: { sku: 'C-1' } }, /unknown field "product.sku" \(known: name, id, category, price\)/],
    ['product price as a string', { product: { price: '403125' } }, /product.price must be a finite number, got string/],
    ['product price Infinity', { product: { price: Infinity } }, /product.price must be a finite number, got Infinity/],
    ['a number as product id', { product: { id: 7 } }, /product.id must be a string, got number/],
    ['a null product name', { product: { name: null } }, /product.name must be a string, got null/],
  ];
  for (const [name, patch, message] of bad) {
    it(`refuses ${name}, naming the field`, () => {
      assert.throws(
        () => checkSummaryPatch(patch),
        (err: unknown) => err instanceof SummaryInvalidError && err.code === 'SUMMARY_INVALID' && message.test(err.message),
      );
    });
  }
});

describe('mergeSummary', () => {
  it('merges customer, product and references field by field; other fields are replaced', () => {
    const base = {
      customer: { name: 'Ana', email: 'ana@example.com' },
      product: { name: 'Membresía Elite', category: 'Membresías' },
      amount: 1,
      references: { invoice: 'FV-1' },
    };
    const patch = { customer: { phone: '+57 300' }, product: { id: 'PROD-ELITE', price: 250000 }, amount: 2, references: { order: 'O-1' } };
    assert.deepEqual(mergeSummary(base, patch), {
      customer: { name: 'Ana', email: 'ana@example.com', phone: '+57 300' },
      product: { name: 'Membresía Elite', category: 'Membresías', id: 'PROD-ELITE', price: 250000 },
      amount: 2,
      references: { invoice: 'FV-1', order: 'O-1' },
    });
    assert.deepEqual(base.product, { name: 'Membresía Elite', category: 'Membresías' }, 'the base is not changed');
  });
});
