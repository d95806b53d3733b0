/**
 * CRASH TEST for the invoice claim (`invoice_payment`): a real worker process is SIGKILLed
 * after the stage's effect (the claim written, or the "paid twice" alert recorded) and before
 * its checkpoint, then restarted. The restarted worker finds its own claim (the payer goes on
 * and invoices once) or finds the alert it already raised (no second alert).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../src/core/types.js';
import { assertExactlyOnce, startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';
import { runWorkerProcess } from '../helpers/worker-process.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/** The Facturador's worker in its own process (test/helpers/facturador-crash-worker.ts), until it exits. */
const runWorker = (env: Record<string, string>) => runWorkerProcess(env, 'test/helpers/facturador-crash-worker.ts');

async function withCrashHarness(
  run: (h: FacturadorHarness, env: (crashAt: string) => Record<string, string>) => Promise<void>,
): Promise<void> {
  const { dir, remove } = tempDatabaseDir('webpig-facturador-payment-crash-');
  const dbPath = join(dir, 'webpig.db');
  const h = await startFacturadorHarness({ dbPath, sandboxDbPath: `${dbPath}.sandbox.db`, startWorker: false });
  let failed = true;
  try {
    const env = (crashAt: string): Record<string, string> => ({
      WEBPIG_DB: dbPath,
      SANDBOX_BASE_URL: h.baseUrl,
      WEBPIG_CRASH_AT: crashAt,
      WEBPIG_CRASH_MARKER: join(dir, `crashed-${crashAt}`),
    });
    await run(h, env);
    failed = false;
  } finally {
    await h.close();
    if (!failed) remove();
    else console.error(`crash test databases kept in ${dir}`);
  }
}

const CRASH_AT = 'invoice_payment:after-run';

describe('Facturador crash test: SIGKILL after the invoice claim, before its checkpoint', () => {
  it('the payer: the restarted worker finds its own claim and invoices once', async () => {
    await withCrashHarness(async (h, env) => {
      const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
      const first = await runWorker(env(CRASH_AT));
      assert.equal(first.signal, 'SIGKILL', 'killed at the failpoint');
      assert.ok(existsSync(env(CRASH_AT).WEBPIG_CRASH_MARKER!));
      assert.equal((await h.checkpoint(id, 'invoice_payment'))?.status, 'processing', 'claimed, not checkpointed');

      assert.equal((await runWorker(env(CRASH_AT))).code, 0);
      assert.equal((await h.store.getEvent(id))?.status, 'succeeded');
      const checkpoint = await h.checkpoint(id, 'invoice_payment');
      assert.equal(checkpoint?.attempts, 2);
      assert.equal((checkpoint?.data as JsonObject).role, 'payer');
      assertExactlyOnce(h, 'INV-373', 403125);
    });
  });

  it('the second payer: the restarted worker finds the alert it raised and does not raise another', async () => {
    await withCrashHarness(async (h, env) => {
      const payer = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
      assert.equal((await runWorker(env('none'))).code, 0);
      assert.equal((await h.store.getEvent(payer))?.status, 'succeeded');

      const second = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '374', state: '1' });
      assert.equal((await runWorker(env(CRASH_AT))).signal, 'SIGKILL');
      assert.equal((await h.checkpoint(second, 'invoice_payment'))?.status, 'processing');
      assert.equal((await runWorker(env(CRASH_AT))).code, 0);

      assert.equal((await h.store.getEvent(second))?.status, 'succeeded');
      const checkpoint = await h.checkpoint(second, 'invoice_payment');
      assert.equal(checkpoint?.history[1]?.note, 'recovered by reconcile');
      assert.equal((checkpoint?.data as JsonObject).role, 'paid_twice');
      const alerts = (await h.store.listAlerts({ limit: 100 })).items.filter((a) => a.details?.alert === 'paid_twice');
      assert.deepEqual(
        alerts.map((a) => a.eventId),
        [second],
        'one "paid twice" alert',
      );
      assertExactlyOnce(h, 'INV-373', 403125);
    });
  });
});
