import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { DEMO_SECRETS } from '../../src/demo/demo-config.js';
import { signedConfirmation } from '../../src/sandbox/epayco-confirmations.js';
import { runCli } from '../helpers/cli.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface DemoProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
}

/** Starts `webpig demo` in an empty directory, as a newcomer would, and waits for its URL. */
async function startDemo(cwd: string, args: string[]): Promise<DemoProcess> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'demo', '--port', '0', ...args], {
    cwd,
    env: { ...process.env, WEBPIG_DATABASE_URL: '' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo printed no URL in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const match = /Web Pig dashboard:\s+(http:\/\/\S+?)\/?\s/.exec(out);
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
      const delivery = signedConfirmation(
        { invoiceId: 'INV-DEMO-1', refPayco: '900001', state: '1', amount: 403125 },
        { customerId: DEMO_SECRETS.epaycoCustomerId, pKey: DEMO_SECRETS.epaycoPKey },
      );
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
});
