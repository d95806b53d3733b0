import assert from 'node:assert/strict';
import type { SandboxRecord } from '../../src/sandbox/sandbox-store.js';
import type { FacturadorHarness } from './facturador-harness.js';

/** The WhatsApp messages about a reversal (the payment's own message says "recibimos"). */
export function reversalMessages(h: FacturadorHarness): SandboxRecord[] {
  return h.records('callbell', 'messages').filter((m) => String(m.text).includes('reversó'));
}

/**
 * One paid and reversed invoice, each effect once: one invoice and one credit note for its
 * whole amount, the cartera without the payment (taken out by one DELETE), Ventas reversed,
 * one message about the payment and one about its reversal.
 */
export function assertReversedOnce(h: FacturadorHarness, invoiceId: string, amount: number): void {
  const invoices = h.records('worldoffice', 'invoices');
  assert.equal(invoices.length, 1, 'one WorldOffice invoice');
  assert.equal(invoices[0]?.reference, invoiceId);
  const notes = h.records('worldoffice', 'credit_notes');
  assert.equal(notes.length, 1, 'one credit note');
  assert.equal(notes[0]?.invoiceId, invoices[0]?.id, 'against the invoice');
  assert.equal(notes[0]?.amount, amount, 'for its whole amount');
  const [cartera, ...moreCarteras] = h.records('strapi', 'carteras');
  assert.equal(moreCarteras.length, 0, 'one cartera');
  assert.deepEqual([cartera?.totalPaid, cartera?.payments], [0, []], 'the payment is out of the cartera');
  const removals = h.received.filter((r) => r.method === 'DELETE' && r.url.startsWith('/sandbox/strapi/api/carteras/'));
  assert.equal(removals.length, 1, 'taken out once');
  const ventas = h.records('strapi', 'facturacions');
  assert.deepEqual(
    ventas.map((v) => v.status),
    ['reversed'],
    'one Ventas record, reversed',
  );
  assert.equal(h.records('callbell', 'messages').length, 2, 'one message about the payment, one about its reversal');
  assert.equal(reversalMessages(h).length, 1, 'one message about the reversal');
}
