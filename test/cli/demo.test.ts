import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { EventStatus } from '../../src/core/types.js';
import { DEMO_SECRETS } from '../../src/demo/demo-config.js';
import { makeSandboxPayment, signedConfirmation } from '../../src/sandbox/epayco-confirmations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, startCli } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/clean-env.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface DemoProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
}

/** Starts `webpig demo` in an empty directory, as a newcomer would, and waits for its URL. */
async function startDemo(cwd: string, args: string[], env: Record<string, string> = {}): Promise<DemoProcess> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'demo', '--port', '0', ...args], {
    cwd,
    env: cleanEnv(env),
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo printed no URL in 60 s:\n${out}`)), 60_000);
    const check = () => {
      // The banner's last line: everything above it (URL, secrets) is printed, and Ctrl-C is handled.
      const match = /Web Pig dashboard:\s+(http:\/\/\S+?)\/?\s[\s\S]*Ctrl-C stops\./.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`demo exited early (${code}):\n${out}`)));
  });
  return { child, url, output: () => out };
}

/** Waits until the demo's worker has put the event in one of these statuses (read from the shared file). */
async function waitForStatus(dbFile: string, id: number, statuses: EventStatus[]): Promise<EventStatus> {
  const store = SqliteStore.open(`sqlite:${dbFile}`);
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = (await store.getEvent(id))?.status;
      if (status && statuses.includes(status)) return status;
      if (Date.now() > deadline) throw new Error(`event ${id} is ${status ?? 'missing'}, not ${statuses.join('|')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await store.close();
  }
}

async function sandboxList(url: string, path: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${url}/sandbox/${path}`);
  assert.equal(res.status, 200, path);
  return (await res.json()) as Array<Record<string, unknown>>;
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('webpig demo', () => {
  it('--no-traffic on an empty directory starts, serves the dashboard URL it prints, and stops cleanly on SIGINT', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-'));
    dirs.push(cwd);
    const demo = await startDemo(cwd, ['--no-traffic']);
    try {
      const page = await fetch(`${demo.url}/`);
      assert.equal(page.status, 200, 'the dashboard is built and served (npm test builds it first)');
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const health = await fetch(`${demo.url}/healthz`);
      assert.equal(health.status, 200);
      assert.match(demo.output(), /No sample traffic/);
    } finally {
      const exited = exitOf(demo.child);
      demo.child.kill('SIGINT');
      assert.equal(await exited, 0, demo.output());
    }
    assert.match(demo.output(), /webpig demo stopped/);
  });

  it('the event id in a webhook reply works with `webpig events show` and `webpig retry` on the same database while the demo runs', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-'));
    dirs.push(cwd);
    const demo = await startDemo(cwd, ['--no-traffic', '--db', 'demo.db']);
    try {
      const payment = { invoiceId: 'INV-DEMO-1', refPayco: '900001', state: '1', amount: 403125 } as const;
      const credentials = { customerId: DEMO_SECRETS.epaycoCustomerId, pKey: DEMO_SECRETS.epaycoPKey };
      // The demo's ePayco source validates with the sandbox's ePayco, which must know the payment.
      await makeSandboxPayment(`${demo.url}/sandbox`, payment, credentials);
      const delivery = signedConfirmation(payment, credentials);
      const reply = await fetch(`${demo.url}/webhooks/epayco${delivery.query}`, {
        method: delivery.method,
        headers: delivery.headers,
        body: delivery.body,
      });
      assert.equal(reply.status, 200);
      const { id, status } = (await reply.json()) as { id: number; status: string };
      assert.equal(status, 'accepted');

      const db = `sqlite:${path.join(cwd, 'demo.db')}`;
      let shown = runCli(['--db', db, 'events', 'show', String(id)], { cwd });
      for (let i = 0; i < 60 && !/succeeded/.test(shown.stdout); i++) {
        await new Promise((r) => setTimeout(r, 500));
        shown = runCli(['--db', db, 'events', 'show', String(id)], { cwd });
      }
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /succeeded/);
      assert.match(shown.stdout, /worldoffice_invoice_creation/);
      assert.match(shown.stdout, /product \S.* \(PROD-[A-Z0-9-]+\)\s+amount COP 403\.125/, "FR360's product id reached the summary");

      const retry = runCli(['--db', db, 'retry', String(id)], { cwd });
      assert.notEqual(retry.status, 0, 'a succeeded event is not retriable');
      assert.match(retry.stderr, /succeeded/);

      const invoices = (await (await fetch(`${demo.url}/sandbox/worldoffice/invoices`)).json()) as unknown[];
      assert.equal(invoices.length, 1);
    } finally {
      const exited = exitOf(demo.child);
      demo.child.kill('SIGINT');
      assert.equal(await exited, 0, demo.output());
    }
  });

  it('uses WEBPIG_* secrets when set; the incident through HTTP and the CLI: fails at crm_upsert, `webpig retry` resumes it, a second retry is refused, every effect once', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-'));
    dirs.push(cwd);
    const own = { customerId: 'own-cust-77', pKey: 'own-p-key-from-env' };
    const demo = await startDemo(cwd, ['--no-traffic', '--db', 'demo.db'], {
      WEBPIG_EPAYCO_CUSTOMER_ID: own.customerId,
      WEBPIG_EPAYCO_P_KEY: own.pKey,
    });
    const dbFile = path.join(cwd, 'demo.db');
    const db = `sqlite:${dbFile}`;
    try {
      // The demo prints the secrets it made up, and only those.
      assert.match(demo.output(), /Demo secrets .* for mercadopago, stripe:/);
      assert.doesNotMatch(demo.output(), new RegExp(DEMO_SECRETS.epaycoPKey));
      assert.doesNotMatch(demo.output(), new RegExp(own.pKey), 'a secret from the environment is never printed');

      const post = async (credentials: { customerId: string; pKey: string }) => {
        const payment = { invoiceId: 'INV-373', refPayco: '373', state: '1', amount: 403125 } as const;
        await makeSandboxPayment(`${demo.url}/sandbox`, payment, credentials);
        const delivery = signedConfirmation(payment, credentials);
        return fetch(`${demo.url}/webhooks/epayco${delivery.query}`, {
          method: delivery.method,
          headers: delivery.headers,
          body: delivery.body,
        });
      };
      const withDemoSecret = await post({ customerId: DEMO_SECRETS.epaycoCustomerId, pKey: DEMO_SECRETS.epaycoPKey });
      assert.equal(withDemoSecret.status, 401, 'the demo secret is not accepted once the environment sets one');

      // The incident of webhook 373: the CRM refuses the contact (a permanent 4xx).
      const fault = await fetch(`${demo.url}/sandbox/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'clientify', operation: 'upsert_contact', mode: 'error', status: 422 }),
      });
      assert.equal(fault.status, 201);
      const reply = await post(own);
      assert.equal(reply.status, 200);
      const { id } = (await reply.json()) as { id: number };
      assert.equal(await waitForStatus(dbFile, id, ['dead', 'succeeded']), 'dead');
      const shownDead = runCli(['--db', db, 'events', 'show', String(id)], { cwd });
      assert.equal(shownDead.status, 0, shownDead.stderr);
      assert.match(shownDead.stdout, /crm_upsert\s+error/);

      // First retry, from another process on the same database: the running demo resumes it.
      const retry = runCli(['--db', db, 'retry', String(id)], { cwd });
      assert.equal(retry.status, 0, retry.stderr);
      assert.match(retry.stdout, new RegExp(`event ${id} queued again`));
      assert.equal(await waitForStatus(dbFile, id, ['succeeded', 'dead']), 'succeeded');

      // Second retry of the completed event: refused, nothing runs.
      const again = runCli(['--db', db, 'retry', String(id)], { cwd });
      assert.notEqual(again.status, 0, 'a succeeded event is not retriable');
      assert.match(again.stderr, /succeeded/);

      // What the outside world holds, read over HTTP: every effect once, the payment counted once.
      for (const [collection, count] of [
        ['worldoffice/invoices', 1],
        ['strapi/facturacions', 1],
        ['callbell/messages', 1],
        ['frapp/memberships', 1],
        ['clientify/contacts', 1],
      ] as const) {
        assert.equal((await sandboxList(demo.url, collection)).length, count, collection);
      }
      const carteras = await sandboxList(demo.url, 'strapi/carteras');
      assert.equal(carteras.length, 1);
      assert.equal(carteras[0]?.totalPaid, 403125, 'the cartera counted the payment once');
      assert.equal((carteras[0]?.payments as unknown[]).length, 1);
    } finally {
      const exited = exitOf(demo.child);
      demo.child.kill('SIGINT');
      assert.equal(await exited, 0, demo.output());
    }
  });
});

/**
 * Where the demo listens, as `webpig start` says it (src/service/listen-address.ts): bound to
 * every interface, the dashboard's URL (127.0.0.1) would hide that the whole network reaches it.
 */
describe('webpig demo: the address it listens on', () => {
  it('--host 0.0.0.0 prints "Listening on:" with the bound address and this host\'s addresses', { timeout: 90_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-listen-'));
    dirs.push(cwd);
    const demo = startCli(['demo', '--port', '0', '--host', '0.0.0.0', '--no-traffic', '--db', path.join(cwd, 'demo.db')], { cwd });
    try {
      const line = await demo.waitForLine(/Listening on:/);
      const match = /^ {2}Listening on: +http:\/\/0\.0\.0\.0:(\d+) \(all interfaces of this host: (.+)\)$/.exec(line);
      assert.ok(match, line);
      const port = match[1];
      assert.match(match[2] ?? '', new RegExp(`(^|, )http://127\\.0\\.0\\.1:${port}(,|$)`), 'the host addresses include the loopback one');
      const dashboard = await demo.waitForLine(/Web Pig dashboard:/);
      assert.match(dashboard, new RegExp(`http://127\\.0\\.0\\.1:${port}/$`), 'the dashboard URL is one a browser on this host opens');
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      // The sandbox process, which only the demo's connectors call, stays on the loopback interface.
      const sandbox = await demo.waitForLine(/Sandbox services:/);
      assert.match(sandbox, /Sandbox services: +http:\/\/127\.0\.0\.1:\d+\/sandbox /);
    } finally {
      await demo.stop();
    }
  });

  it(
    '--host :: prints the bound [::] on "Listening on:", and loopback URLs for the dashboard, webhooks and examples',
    { timeout: 90_000 },
    async () => {
      const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-listen-'));
      dirs.push(cwd);
      const demo = startCli(['demo', '--port', '0', '--host', '::', '--no-traffic', '--db', path.join(cwd, 'demo.db')], { cwd });
      try {
        await demo.waitForLine(/Ctrl-C stops\./);
        const port = /Listening on: +http:\/\/\[::\]:(\d+) \(all interfaces of this host: /.exec(demo.output())?.[1];
        assert.ok(port, demo.output());
        assert.match(demo.output(), new RegExp(`Web Pig dashboard: +http://127\\.0\\.0\\.1:${port}/\n`));
        assert.match(demo.output(), new RegExp(`Webhooks: +http://127\\.0\\.0\\.1:${port}/webhooks/epayco `));
        assert.doesNotMatch(demo.output().replace(/ {2}Listening on:.*\n/, ''), /\[::\]/, 'no [::] URL but the bound address');
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      } finally {
        await demo.stop();
      }
    },
  );

  it('on 127.0.0.1 (the default) prints no "Listening on:" line: the dashboard URL is the address', { timeout: 90_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-listen-'));
    dirs.push(cwd);
    const demo = startCli(['demo', '--port', '0', '--no-traffic', '--db', path.join(cwd, 'demo.db')], { cwd });
    try {
      await demo.waitForLine(/Ctrl-C stops\./);
      assert.match(demo.output(), /Web Pig dashboard: +http:\/\/127\.0\.0\.1:\d+\//);
      assert.doesNotMatch(demo.output(), /Listening on/);
    } finally {
      await demo.stop();
    }
  });
});
