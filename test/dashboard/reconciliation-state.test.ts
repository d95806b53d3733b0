import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { paymentReconciliation } from '../../src/dashboard/app/reconciliation-state.js';
import type { ReconciliationView } from '../../src/dashboard/app/types.js';

/** What the event panel says about one payment and its provider (PanelReconciliation.tsx). */
describe("a payment's reconciliation with its provider", () => {
  const stripe: ReconciliationView = {
    source: 'stripe',
    lastStartedAt: '2026-12-05T14:00:00.000Z',
    lastFinishedAt: '2026-12-05T14:01:00.000Z',
    lastListed: 40,
    lastRecovered: 0,
    totalRecovered: 0,
    interrupted: false,
    lastError: null,
  };
  const webhook = (source: string, receivedAt: string) => ({ origin: 'webhook' as const, source, receivedAt });

  test('found by reconciliation: the provider had it, its webhook never arrived', () => {
    assert.deepEqual(paymentReconciliation({ ...webhook('stripe', '2026-12-05T13:00:00.000Z'), origin: 'reconciliation' }, []), {
      kind: 'found',
    });
  });

  // The run's window (lookBack, --since; ePayco: the references it was given) is not recorded, so
  // a run that finished after the payment is no proof it listed the payment: never "checked".
  test('received before the last finished reconciliation of its source: a run ended after it, nothing more', () => {
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-05T13:59:00.000Z'), [stripe]), {
      kind: 'ran_after',
      at: '2026-12-05T14:01:00.000Z',
    });
  });

  test('received after it, or no run finished yet: not checked yet', () => {
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-05T14:02:00.000Z'), [stripe]), {
      kind: 'pending',
      lastFinishedAt: '2026-12-05T14:01:00.000Z',
    });
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-05T13:00:00.000Z'), [{ ...stripe, lastFinishedAt: null }]), {
      kind: 'pending',
      lastFinishedAt: null,
    });
  });

  test('a source nobody reconciles: nothing checks the payment at its provider', () => {
    assert.deepEqual(paymentReconciliation(webhook('epayco', '2026-12-05T13:00:00.000Z'), [stripe]), { kind: 'not_reconciled' });
  });
});
