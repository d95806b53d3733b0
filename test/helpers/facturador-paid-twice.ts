import assert from 'node:assert/strict';
import type { AlertRecord, JsonObject } from '../../src/core/types.js';
import type { FacturadorHarness } from './facturador-harness.js';

/** The "paid twice" race of issue 17 (item 2), shared by the SQLite and PostgreSQL tests. */

export function paidTwiceAlerts(alerts: AlertRecord[]): AlertRecord[] {
  return alerts.filter((a) => a.kind === 'custom' && a.details?.alert === 'paid_twice');
}

export async function allAlerts(harness: FacturadorHarness): Promise<AlertRecord[]> {
  return (await harness.store.listAlerts({ limit: 500 })).items;
}

export const INVOICES = Array.from({ length: 20 }, (_, i) => `INV-TWICE-${String(i + 1).padStart(2, '0')}`);
export const refsOf = (i: number): [string, string] => [String(700_000 + i), String(800_000 + i)];

/** Both payments of every invoice, all sent at once. */
export async function payEveryInvoiceTwiceAtOnce(harness: FacturadorHarness): Promise<void> {
  const at = new Date();
  await Promise.all(
    INVOICES.flatMap((invoiceId, i) => refsOf(i).map((refPayco) => harness.sendConfirmation({ invoiceId, refPayco, state: '1', at }))),
  );
  await harness.waitForIdle(90_000);
}

/** Exactly one of each effect per invoice, and one "paid twice" alert per invoice naming both payments. */
export async function assertOncePerInvoice(harness: FacturadorHarness): Promise<void> {
  const count = (service: Parameters<FacturadorHarness['records']>[0], collection: string): number =>
    harness.records(service, collection).length;
  assert.equal(count('worldoffice', 'invoices'), 20, 'one WorldOffice invoice per invoice');
  assert.deepEqual(new Set(harness.records('worldoffice', 'invoices').map((r) => r.reference)), new Set(INVOICES));
  assert.equal(count('strapi', 'facturacions'), 20, 'one Ventas record per invoice');
  assert.equal(count('frapp', 'memberships'), 20, 'one membership per invoice');
  assert.equal(count('callbell', 'messages'), 20, 'one WhatsApp message per invoice');
  assert.equal(count('worldoffice', 'accountings'), 20);
  assert.equal(count('worldoffice', 'emissions'), 20);
  const payments = harness.records('strapi', 'carteras').flatMap((c) => c.payments as JsonObject[]);
  assert.equal(payments.length, 20, 'one cartera payment per invoice');

  const alerts = paidTwiceAlerts(await allAlerts(harness));
  assert.equal(alerts.length, 20, 'one "paid twice" alert per invoice');
  for (const [i, invoiceId] of INVOICES.entries()) {
    const mine = alerts.filter((a) => a.details?.invoiceId === invoiceId);
    assert.equal(mine.length, 1, `one alert for ${invoiceId}`);
    const details = mine[0]!.details as { first: JsonObject; second: JsonObject };
    assert.deepEqual(new Set([details.first.refPayco, details.second.refPayco]), new Set(refsOf(i)), 'both references');
    assert.ok(
      details.first.amount === details.second.amount && typeof details.first.amount === 'number' && details.first.amount > 0,
      'both amounts',
    );
    assert.match(mine[0]!.message, new RegExp(`paid twice: invoice ${invoiceId} .*${details.first.refPayco}.*${details.second.refPayco}`));
  }
  // Every event finished; the second payer's effect stages are skipped, naming the payer.
  const events = (await harness.store.listEvents({}, { limit: 500 })).items;
  assert.equal(events.length, 40);
  assert.ok(
    events.every((e) => e.status === 'succeeded'),
    events.map((e) => `${e.id}:${e.status}`).join(' '),
  );
  const skipped = await Promise.all(events.map(async (e) => (await harness.checkpoint(e.id, 'fr360_query'))?.skipReason));
  const notInvoiced = skipped.filter((reason) => reason?.kind === 'condition');
  assert.equal(notInvoiced.length, 20);
  assert.ok(notInvoiced.every((r) => r?.kind === 'condition' && /already paid by ref_payco \d+ \(event \d+\)/.test(r.detail)));
}
