/**
 * CRASH TEST for the Facturador: a real worker process is SIGKILLed right after a stage's
 * effect reached the sandbox and before its checkpoint was written (`<stage>:after-run`), then
 * restarted. The restarted worker finds the checkpoint `processing`, reconciles or re-runs with
 * the same idempotency key, and every record in the sandbox exists exactly once — including
 * WorldOffice's invoice and Strapi's cartera payment, whose services have no idempotency key.
 *
 * The reversal's stages (issue 14.6) are killed at every boundary of each: before the attempt
 * is recorded, before the call, after the effect, after the checkpoint. After the restart:
 * one credit note, one removal from the cartera, one message about the reversal.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertExactlyOnce, FACTURADOR_EFFECT_STAGES, startFacturadorHarness } from '../helpers/facturador-harness.js';
import { assertReversedOnce } from '../helpers/facturador-reversal.js';
import { runWorkerProcess } from '../helpers/worker-process.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/** The Facturador's worker in its own process (test/helpers/facturador-crash-worker.ts), until it exits. */
const runWorker = (env: Record<string, string>) => runWorkerProcess(env, 'test/helpers/facturador-crash-worker.ts');

describe('Facturador crash test: SIGKILL after each effect, before its checkpoint', () => {
  for (const stage of FACTURADOR_EFFECT_STAGES) {
    it(`${stage}:after-run`, async () => {
      const { dir, remove } = tempDatabaseDir('webpig-facturador-crash-');
      const dbPath = join(dir, 'webpig.db');
      const h = await startFacturadorHarness({ dbPath, sandboxDbPath: `${dbPath}.sandbox.db`, startWorker: false });
      let failed = true;
      try {
        const id = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
        const marker = join(dir, 'crashed');
        const env = { WEBPIG_DB: dbPath, SANDBOX_BASE_URL: h.baseUrl, WEBPIG_CRASH_AT: `${stage}:after-run`, WEBPIG_CRASH_MARKER: marker };
        const first = await runWorker(env);
        assert.equal(first.signal, 'SIGKILL', 'the first worker was killed at the failpoint');
        assert.ok(existsSync(marker) && readFileSync(marker, 'utf8') === `${stage}:after-run`);
        assert.equal((await h.checkpoint(id, stage))?.status, 'processing', 'the effect happened, the checkpoint did not');

        const second = await runWorker(env);
        assert.equal(second.code, 0, `the restarted worker finished: ${JSON.stringify(second)}`);
        const event = await h.store.getEvent(id);
        assert.equal(event?.status, 'succeeded', JSON.stringify(event?.lastError));
        const checkpoint = await h.checkpoint(id, stage);
        assert.equal(checkpoint?.status, 'success');
        assert.equal(checkpoint?.attempts, 2, 'the interrupted attempt and the recovery');
        assertExactlyOnce(h, 'INV-373', 403125);
        assert.equal(h.records('worldoffice', 'emissions').length, 1);
        failed = false;
      } finally {
        await h.close();
        // Kept on failure, for the evidence.
        if (!failed) remove();
        else console.error(`crash test databases kept in ${dir}`);
      }
    });
  }
});

const REVERSAL_STAGES = [
  'reversal_payment',
  'worldoffice_credit_note',
  'strapi_cartera_reversal',
  'strapi_facturacion_reversal',
  'callbell_reversal_notification',
];
const BOUNDARIES = ['before-start', 'before-run', 'after-run', 'after-outcome'];

describe('Facturador crash test: a reversal, SIGKILL at every boundary of its stages', () => {
  for (const stage of REVERSAL_STAGES) {
    for (const boundary of BOUNDARIES) {
      const crashAt = `${stage}:${boundary}`;
      it(crashAt, async () => {
        const { dir, remove } = tempDatabaseDir('webpig-facturador-reversal-crash-');
        const dbPath = join(dir, 'webpig.db');
        const h = await startFacturadorHarness({ dbPath, sandboxDbPath: `${dbPath}.sandbox.db`, startWorker: false });
        let failed = true;
        try {
          // Both waiting: the worker runs the payment first (entity order), then its reversal.
          const t0 = Date.now() - 60_000;
          const paid = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1', at: new Date(t0) });
          const reversal = await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '6', at: new Date(t0 + 30_000) });
          const marker = join(dir, 'crashed');
          const env = { WEBPIG_DB: dbPath, SANDBOX_BASE_URL: h.baseUrl, WEBPIG_CRASH_AT: crashAt, WEBPIG_CRASH_MARKER: marker };
          const first = await runWorker(env);
          assert.equal(first.signal, 'SIGKILL', 'the first worker was killed at the failpoint');
          assert.ok(existsSync(marker) && readFileSync(marker, 'utf8') === crashAt);
          if (boundary === 'after-run') {
            assert.equal((await h.checkpoint(reversal, stage))?.status, 'processing', 'the effect happened, the checkpoint did not');
          }

          const second = await runWorker(env);
          assert.equal(second.code, 0, `the restarted worker finished: ${JSON.stringify(second)}`);
          for (const id of [paid, reversal]) {
            const event = await h.store.getEvent(id);
            assert.equal(event?.status, 'succeeded', `event ${id}: ${JSON.stringify(event?.lastError)}`);
          }
          assert.equal((await h.checkpoint(reversal, stage))?.status, 'success');
          assertReversedOnce(h, 'INV-373', 403125);
          failed = false;
        } finally {
          await h.close();
          if (!failed) remove();
          else console.error(`crash test databases kept in ${dir}`);
        }
      });
    }
  }
});
