import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { paymentReconciliation } from '../../src/dashboard/app/reconciliation-state.js';
import type { ReconciliationView } from '../../src/dashboard/app/types.js';

/** What the event panel says about one payment and its provider (PanelReconciliation.tsx). */
describe("a payment's reconciliation with its provider", () => {
  // Runs covered the provider's records from 4 Dec 09:00 to 5 Dec 14:00 (their windows, joined).
  const stripe: ReconciliationView = {
    source: 'stripe',
    lastStartedAt: '2026-12-05T14:00:00.000Z',
    lastFinishedAt: '2026-12-05T14:01:00.000Z',
    lastListed: 40,
    lastRecovered: 0,
    totalRecovered: 0,
    interrupted: false,
    lastError: null,
    coveredBy: 'dates',
    coveredFrom: '2026-12-04T09:00:00.000Z',
    coveredUntil: '2026-12-05T14:00:00.000Z',
    runningSince: null,
    runningOn: null,
  };
  const covered = { from: stripe.coveredFrom, until: stripe.coveredUntil };
  const webhook = (source: string, occurredAt: string) => ({ origin: 'webhook' as const, source, occurredAt });

  test('found by reconciliation: the provider had it, its webhook never arrived', () => {
    assert.deepEqual(paymentReconciliation({ ...webhook('stripe', '2026-12-05T13:00:00.000Z'), origin: 'reconciliation' }, []), {
      kind: 'found',
    });
  });

  test('its time at the provider within the covered interval, both ends included: checked', () => {
    for (const at of ['2026-12-04T09:00:00.000Z', '2026-12-05T10:00:00.000Z', '2026-12-05T14:00:00.000Z']) {
      assert.deepEqual(paymentReconciliation(webhook('stripe', at), [stripe]), { kind: 'covered', ...covered }, at);
    }
  });

  test('later than the interval: not checked yet; earlier: outside what reconciliation covered', () => {
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-05T14:00:00.001Z'), [stripe]), { kind: 'after_covered', ...covered });
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-04T08:59:59.999Z'), [stripe]), {
      kind: 'before_covered',
      ...covered,
    });
  });

  test('a source looked up by references (ePayco) claims no window', () => {
    const epayco: ReconciliationView = { ...stripe, source: 'epayco', coveredBy: 'references', coveredFrom: null, coveredUntil: null };
    assert.deepEqual(paymentReconciliation(webhook('epayco', '2026-12-05T10:00:00.000Z'), [epayco]), {
      kind: 'by_references',
      lastFinishedAt: '2026-12-05T14:01:00.000Z',
    });
  });

  test('runs finished before webpig recorded their dates: unknown; none finished: pending', () => {
    const before = { ...stripe, coveredBy: null, coveredFrom: null, coveredUntil: null };
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-05T10:00:00.000Z'), [before]), {
      kind: 'window_unknown',
      lastFinishedAt: '2026-12-05T14:01:00.000Z',
    });
    assert.deepEqual(paymentReconciliation(webhook('stripe', '2026-12-05T10:00:00.000Z'), [{ ...before, lastFinishedAt: null }]), {
      kind: 'pending',
    });
  });

  test('a source nobody reconciles: nothing checks the payment at its provider', () => {
    assert.deepEqual(paymentReconciliation(webhook('epayco', '2026-12-05T13:00:00.000Z'), [stripe]), { kind: 'not_reconciled' });
  });
});
