import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_SECRETS } from '../../src/demo/demo-config.js';
import { runDemo, type RunningDemo } from '../../src/demo/run-demo.js';
import { makeSandboxPayment, signedConfirmation } from '../../src/sandbox/epayco-confirmations.js';

/**
 * The demo restarted on the same database keeps what the outside world holds: the sandbox's
 * records and pending faults, and the example shop's stock (not seeded again).
 */
const dir = mkdtempSync(path.join(tmpdir(), 'webpig-demo-restart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function start(): Promise<RunningDemo> {
  return runDemo({ port: 0, host: '127.0.0.1', dbFile: path.join(dir, 'demo.db'), traffic: false, env: {}, print: () => undefined });
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  assert.ok(res.ok, `${url}: ${res.status}`);
  return (await res.json()) as T;
}

describe('webpig demo restarted on the same database', () => {
  it('keeps the sandbox records, its pending faults and the shop stock', async () => {
    const first = await start();
    try {
      const payment = { invoiceId: 'INV-RESTART-1', refPayco: '910001', state: '1', amount: 120000 } as const;
      const credentials = { customerId: DEMO_SECRETS.epaycoCustomerId, pKey: DEMO_SECRETS.epaycoPKey };
      await makeSandboxPayment(`${first.url}/sandbox`, payment, credentials);
      const delivery = signedConfirmation(payment, credentials);
      const reply = await fetch(`${first.url}/webhooks/epayco${delivery.query}`, {
        method: delivery.method,
        headers: delivery.headers,
        body: delivery.body,
      });
      assert.equal(reply.status, 200);
      // The last stage's record is there once the pipeline has run.
      const deadline = Date.now() + 30_000;
      while ((await json<unknown[]>(`${first.url}/sandbox/strapi/facturacions`)).length === 0) {
        if (Date.now() > deadline) throw new Error('the Facturador did not finish in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await json(`${first.url}/sandbox/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'worldoffice', operation: 'create_invoice', mode: 'error', count: 3 }),
      });
      await json(`${first.url}/sandbox/shop/stock/CAMISETA-M`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ quantity: 7 }),
      });
    } finally {
      await first.stop();
    }

    const second = await start();
    try {
      const invoices = await json<Array<{ reference: string }>>(`${second.url}/sandbox/worldoffice/invoices`);
      assert.deepEqual(
        invoices.map((i) => i.reference),
        ['INV-RESTART-1'],
      );
      assert.equal((await json<unknown[]>(`${second.url}/sandbox/callbell/messages`)).length, 1);
      const faults = await json<{ items: Array<{ operation: string; remaining: number }> }>(`${second.url}/sandbox/_faults`);
      assert.deepEqual(
        faults.items.map((f) => [f.operation, f.remaining]),
        [['create_invoice', 3]],
      );
      const stock = await json<{ items: Array<{ sku: string; quantity: number }> }>(`${second.url}/sandbox/shop/stock`);
      assert.equal(stock.items.find((s) => s.sku === 'CAMISETA-M')?.quantity, 7, 'the shop kept its stock, not seeded again');
    } finally {
      await second.stop();
    }
  });
});
