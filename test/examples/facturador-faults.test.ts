import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryEvent } from '../../src/engine/operations.js';
import type { SandboxService } from '../../src/sandbox/sandbox-store.js';
import { assertExactlyOnce, startFacturadorHarness } from '../helpers/facturador-harness.js';

/**
 * For every stage with a side effect: the external system does the effect and then the reply
 * fails (the case that duplicated invoices). The engine retries; afterwards each record exists
 * exactly once. Services with an Idempotency-Key replay it; WorldOffice and Strapi, which have
 * none, are protected by the stages' look-ups by reference (and `reconcile`).
 */
/**
 * `reconciled`: the stage declares `reconcile` and the effect is complete after the failed reply,
 * so the retry must find it by reference and never call `run` (whose own look-up is the second
 * line of defence, and would hide a broken `reconcile`).
 */
const CASES: Array<{ stage: string; service: SandboxService; operation: string; reconciled?: true }> = [
  { stage: 'callbell_notification', service: 'callbell', operation: 'send_message' },
  { stage: 'membership_creation', service: 'frapp', operation: 'create_membership' },
  { stage: 'crm_upsert', service: 'clientify', operation: 'upsert_contact' },
  { stage: 'worldoffice_customer', service: 'worldoffice', operation: 'find_or_create_customer' },
  { stage: 'worldoffice_invoice_creation', service: 'worldoffice', operation: 'create_invoice', reconciled: true },
  { stage: 'worldoffice_invoice_accounting', service: 'worldoffice', operation: 'account_invoice' },
  { stage: 'worldoffice_dian_emission', service: 'worldoffice', operation: 'emit_dian' },
  { stage: 'strapi_cartera_update', service: 'strapi', operation: 'create_cartera' },
  { stage: 'strapi_cartera_update', service: 'strapi', operation: 'apply_payment', reconciled: true },
  { stage: 'strapi_facturacion_creation', service: 'strapi', operation: 'create_facturacion' },
];

describe('Facturador: "effect then fail the reply" at every side-effecting stage', () => {
  for (const { stage, service, operation, reconciled } of CASES) {
    it(`${stage} (${service}.${operation}): retried, the record exists once`, async () => {
      const h = await startFacturadorHarness();
      try {
        h.fault({ service, operation, mode: 'effect-then-fail', count: 1 });
        const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
        const event = await h.waitForStatus(id, ['succeeded', 'dead']);
        assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
        const checkpoint = await h.checkpoint(id, stage);
        assert.equal(checkpoint?.status, 'success');
        assert.equal(checkpoint?.history[0]?.status, 'error', 'the first attempt saw the failed reply');
        assert.equal(checkpoint?.history[0]?.error?.httpStatus, 502);
        assert.equal(checkpoint?.attempts, 2);
        assert.equal(
          checkpoint?.history[1]?.note === 'recovered by reconcile',
          reconciled === true,
          `second attempt: ${checkpoint?.history[1]?.note ?? '(no note)'}`,
        );
        assert.equal(h.sandbox.listFaults().length, 0, 'the fault was used');
        assertExactlyOnce(h, 'INV-373', 403125);
        assert.equal(h.records('worldoffice', 'emissions').length, 1);
      } finally {
        await h.close();
      }
    });
  }
});

describe('Facturador: a call that hangs until the stage times out', () => {
  const TIMEOUT_CASES: Array<{ stage: string; service: SandboxService; operation: string }> = [
    { stage: 'worldoffice_invoice_creation', service: 'worldoffice', operation: 'create_invoice' },
    { stage: 'callbell_notification', service: 'callbell', operation: 'send_message' },
  ];
  for (const { stage, service, operation } of TIMEOUT_CASES) {
    it(`${stage} (${service}.${operation}): times out, is retried, the record exists once`, async () => {
      const h = await startFacturadorHarness({ stageTimeoutMs: 300 });
      try {
        h.fault({ service, operation, mode: 'timeout', count: 1 });
        const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
        const event = await h.waitForStatus(id, ['succeeded', 'dead']);
        assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
        const checkpoint = await h.checkpoint(id, stage);
        assert.equal(checkpoint?.history[0]?.error?.code, 'STAGE_TIMEOUT');
        assert.equal(checkpoint?.status, 'success');
        assertExactlyOnce(h, 'INV-373', 403125);
      } finally {
        await h.close();
      }
    });
  }
});

/**
 * The incident's own sequence at every side-effecting stage: the service does the effect and
 * answers with a 4xx (permanent: the event goes dead, no automatic retry), and an operator
 * presses retry — hours later, as on 2025-10-28. The retry must find the effect, not repeat it.
 */
describe('Facturador: effect done, then a permanent error; the operator retries', () => {
  for (const { stage, service, operation, reconciled } of CASES) {
    it(`${stage} (${service}.${operation}): dead, retried by hand, the record exists once`, async () => {
      const h = await startFacturadorHarness();
      try {
        h.fault({ service, operation, mode: 'effect-then-fail', count: 1, status: 422 });
        const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
        const dead = await h.waitForStatus(id, ['succeeded', 'dead']);
        assert.equal(dead.status, 'dead', 'a 4xx is not retried by itself');
        assert.equal((await h.checkpoint(id, stage))?.error?.retriable, false);

        await retryEvent(h.store, id, 'ops@example.com');
        const event = await h.waitForStatus(id, ['succeeded', 'dead']);
        assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
        const checkpoint = await h.checkpoint(id, stage);
        assert.equal(checkpoint?.status, 'success');
        assertExactlyOnce(h, 'INV-373', 403125);
        assert.equal(h.records('worldoffice', 'emissions').length, 1);
        // The operator's retry looks the effect up first where the stage declares `reconcile`
        // (a 4xx may come after the work, as here); elsewhere the stage's own look-up by
        // reference keeps it single.
        assert.equal(checkpoint?.history.at(-1)?.note, reconciled === true ? 'recovered by reconcile' : 'retry after error');
      } finally {
        await h.close();
      }
    });
  }
});
