/**
 * README.md's "use it in your project" config, started as a new user would the first time:
 * without ERP_URL (the variable of their own stage). The order must not fail on a URL that
 * starts with `undefined`, retried for an hour: it is dead at once, saying which variable to
 * set and how; then the README's own recovery line, after a restart with ERP_URL, runs it again
 * to success. The built CLI (bin/webpig.js, dist/ — `npm run build` first) in a project whose
 * node_modules/webpig is this checkout, as `npm install` of the tarball would make it (the full
 * pack-and-install run is test/install/install.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, readmeBlock, ROOT, run, signedShopDelivery } from './project.js';

const BIN = path.join(ROOT, 'bin/webpig.js');
const SHOP_SECRET = 'shop-secret-for-the-readme-config-test';
const work = mkdtempSync(path.join(tmpdir(), 'webpig-readme-config-'));
after(() => rmSync(work, { recursive: true, force: true }));

const config = readmeBlock('<!-- the install test (test/install/install.test.ts) runs this block');

/** The README's recovery line, as arguments: the `npx webpig …` right after its marker. */
function readmeRecoveryArgs(): string[] {
  const marker = '<!-- test/install/readme-config.test.ts starts this config without ERP_URL, then runs this line -->';
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README.md has no "${marker}"`);
  const command = /^\s*`npx webpig ([^`]+)`/.exec(readme.slice(at + marker.length))?.[1];
  assert.ok(command, `README.md has no \`npx webpig …\` line after ${marker}`);
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

function project(): string {
  const dir = path.join(work, 'shop');
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', type: 'module' }));
  symlinkSync(ROOT, path.join(dir, 'node_modules/webpig'), 'dir');
  writeFileSync(path.join(dir, 'webpig.config.ts'), config);
  return dir;
}

/** `webpig start --port 0`, its URL from the listening line on stderr. */
async function start(dir: string, env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void>; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0'], { cwd: dir, env, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 60 s:\n${output}`)), 60_000);
    child.stderr.on('data', () => {
      const found = /webpig listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`webpig start exited:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Listed {
  id: number;
  status: string;
  lastError: { code: string; message: string } | null;
}

async function settled(dir: string, env: NodeJS.ProcessEnv, id: number, want: string): Promise<Listed> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listed = await run(process.execPath, [BIN, 'events', '--json'], { cwd: dir, env, timeoutMs: 60_000 });
    assert.equal(listed.status, 0, listed.stderr);
    const event = (JSON.parse(listed.stdout) as Listed[]).find((e) => e.id === id);
    if (event?.status === want) return event;
    if (Date.now() > deadline) assert.fail(`event ${id} is ${JSON.stringify(event)}, not ${want}, after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe("README.md's config started without ERP_URL", () => {
  it(
    'the order is dead at once saying to set ERP_URL; after a restart with it, the README line runs it to success',
    { timeout: 180_000 },
    async () => {
      assert.ok(existsSync(path.join(ROOT, 'dist/src/cli/main.js')), 'run `npm run build` first');
      const dir = project();
      const withoutErp = childEnv({ SHOP_WEBHOOK_SECRET: SHOP_SECRET, WEBPIG_LOG_LEVEL: 'warn' });
      delete withoutErp.ERP_URL;

      const first = await start(dir, withoutErp);
      let id: number;
      try {
        const body = JSON.stringify({
          id: 'evt-1',
          type: 'order.paid',
          order: { id: 'order-1', status: 'paid', total: '120000', currency: 'COP' },
        });
        const reply = await fetch(`${first.url}/webhooks/shop`, {
          method: 'POST',
          body,
          headers: signedShopDelivery(body, SHOP_SECRET, { signature: 'x-shop-signature', timestamp: 'x-shop-timestamp' }),
        });
        assert.equal(reply.status, 200, await reply.clone().text());
        id = ((await reply.json()) as { id: number }).id;
        const dead = await settled(dir, withoutErp, id, 'dead');
        assert.equal(dead.lastError?.code, 'ERP_URL_NOT_SET');
        assert.match(dead.lastError?.message ?? '', /ERP_URL is not set: restart webpig with ERP_URL=/);
        assert.doesNotMatch(first.output(), /undefined\/invoices/);
      } finally {
        await first.stop();
      }

      const invoices: string[] = [];
      const erp = createServer((req, res) => {
        invoices.push(req.url ?? '');
        req.resume();
        req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"invoiceId":"INV-1"}'));
      });
      erp.listen(0, '127.0.0.1');
      await once(erp, 'listening');
      const withErp = { ...withoutErp, ERP_URL: `http://127.0.0.1:${(erp.address() as AddressInfo).port}` };
      const second = await start(dir, withErp);
      try {
        const retried = await run(process.execPath, [BIN, ...readmeRecoveryArgs()], { cwd: dir, env: withErp, timeoutMs: 60_000 });
        assert.equal(retried.status, 0, retried.stderr + retried.stdout);
        await settled(dir, withErp, id, 'succeeded');
        assert.deepEqual(invoices, ['/invoices']);
      } finally {
        await second.stop();
        erp.closeAllConnections();
        erp.close();
      }
    },
  );
});
