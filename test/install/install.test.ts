/**
 * A team adopts webpig as README.md says: pack it, install the tarball in a fresh CommonJS
 * project (`npm init -y`) and in an ESM one with npm's strict-allow-scripts on (the tarball
 * must run no script of its own; the README's approvals cover its dependencies'), write README.md's own webpig.config.ts (taken
 * from the README, so the README cannot drift from what works), run `npx webpig start`, send
 * a webhook signed as src/sources/README.md documents, and watch it succeed in
 * `npx webpig events`. Also: npm prints no EBADENGINE on this Node (engines promises 20.19).
 * Needs the npm registry (or npm's cache) for webpig's dependencies; ~1–2 minutes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childEnv, localPrebuild, makeProject, packWebpig, readmeBlock, ROOT, run, signedShopDelivery } from './project.js';

const README_MARKER = '<!-- the install test (test/install/install.test.ts) runs this block';
const SHOP_SECRET = 'shop-secret-for-the-install-test';
const work = mkdtempSync(path.join(tmpdir(), 'webpig-install-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The ERP the README's first stage calls: records each request, answers with an invoice. */
const erpRequests: Array<{ path: string; idempotencyKey: string | undefined; body: unknown }> = [];
const erp = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    erpRequests.push({
      path: req.url ?? '',
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      body: JSON.parse(body || 'null'),
    });
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ invoiceId: `INV-${erpRequests.length}` }));
  });
});

const config = readmeBlock(README_MARKER);
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const stageFile = readmeBlock('<!-- the install test (test/install/install.test.ts) type-checks this file');
const tsconfig =
  /```json\n([\s\S]*?)```/.exec(
    readme.slice(readme.indexOf('<!-- the install test (test/install/install.test.ts) type-checks this file')),
  )?.[1] ?? '';
let tarball = '';
const projects: Record<'commonjs' | 'module', { dir: string; npmOutput: string }> = {
  commonjs: { dir: path.join(work, 'cjs-shop'), npmOutput: '' },
  module: { dir: path.join(work, 'esm-shop'), npmOutput: '' },
};

before(
  async () => {
    erp.listen(0, '127.0.0.1');
    await once(erp, 'listening');
    tarball = await packWebpig(work);
    const installEnv = await localPrebuild(path.join(work, 'prebuilds'));
    // The two installs at once: they mostly wait for npm's cache and the network.
    await Promise.all(
      (Object.keys(projects) as Array<keyof typeof projects>).map(async (type) => {
        const project = projects[type];
        mkdirSync(project.dir);
        project.npmOutput = await makeProject(project.dir, type, tarball, installEnv);
        writeFileSync(path.join(project.dir, 'webpig.config.ts'), config);
      }),
    );
  },
  { timeout: 240_000 },
);
after(() => {
  erp.closeAllConnections(); // the webpig processes' fetch keeps its connections alive
  erp.close();
});

/** `npx webpig start --port 0` in the project; resolves with its URL and a stop function. */
async function startWebpig(dir: string, env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void>; output: () => string }> {
  // Its own process group, stopped as a terminal's Ctrl-C would: npx does not pass SIGTERM on.
  const child = spawn('npx', ['--no', 'webpig', 'start', '--port', '0'], { cwd: dir, env, stdio: 'pipe', detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`webpig start printed no URL in 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = /webpig listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    // The listening line is on stderr (stdout is the JSON logs).
    child.stderr.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`webpig start exited:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGTERM');
      await exited.catch(() => undefined);
    },
  };
}

interface ListedEvent {
  id: number;
  source: string;
  status: string;
  transactionStatus: string | null;
}

/** `npx webpig events --json` until the event is no longer queued or processing. */
async function waitForOutcome(dir: string, env: NodeJS.ProcessEnv, id: number): Promise<ListedEvent> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listed = await run('npx', ['--no', 'webpig', 'events', '--json'], { cwd: dir, env, timeoutMs: 60_000 });
    assert.equal(listed.status, 0, listed.stderr);
    const event = (JSON.parse(listed.stdout) as ListedEvent[]).find((e) => e.id === id);
    if (event && !['queued', 'processing', 'retrying'].includes(event.status)) return event;
    if (Date.now() > deadline) assert.fail(`event ${id} is still ${event?.status ?? 'missing'} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('installing webpig in a project of ones own, as README.md says', () => {
  it('the README config is complete: no placeholders, every stage calls something real', () => {
    const code = config.replace(/(^|\s)\/\/.*$/gm, '$1');
    assert.doesNotMatch(code, /…|\.\.\./, 'no "…" or "..." placeholders outside comments');
    assert.match(config, /fetch\(/);
  });

  for (const type of ['commonjs', 'module'] as const) {
    it(
      `${type} project: npm prints no EBADENGINE; webpig start takes a signed webhook; webpig events shows it succeeded`,
      { timeout: 150_000 },
      async () => {
        const { dir, npmOutput } = projects[type];
        assert.doesNotMatch(npmOutput, /EBADENGINE/, `npm install warned about engines:\n${npmOutput}`);
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: string };
        assert.equal(pkg.type ?? 'commonjs', type);
        const installed = JSON.parse(readFileSync(path.join(dir, 'node_modules/webpig/package.json'), 'utf8')) as { license?: string };
        assert.equal(installed.license, 'MIT');
        assert.match(readFileSync(path.join(dir, 'node_modules/webpig/LICENSE'), 'utf8'), /^MIT License/, 'the package ships its LICENSE');
        const erpUrl = `http://127.0.0.1:${(erp.address() as AddressInfo).port}`;
        const env = childEnv({ SHOP_WEBHOOK_SECRET: SHOP_SECRET, ERP_URL: erpUrl, WEBPIG_LOG_LEVEL: 'warn' });
        const server = await startWebpig(dir, env);
        try {
          const orderId = `order-${type}`;
          const body = JSON.stringify({
            id: `evt-${type}`,
            type: 'order.paid',
            order: { id: orderId, status: 'paid', email: 'ana@example.com', total: '120000', currency: 'COP' },
          });
          const headers = {
            signature: /signatureHeader: '([^']+)'/.exec(config)?.[1] ?? 'x-webpig-signature',
            timestamp: /timestampHeader: '([^']+)'/.exec(config)?.[1] ?? 'x-timestamp',
          };
          const forged = await fetch(`${server.url}/webhooks/shop`, {
            method: 'POST',
            body,
            headers: signedShopDelivery(body, 'not-the-secret', headers),
          });
          assert.equal(forged.status, 401, 'a delivery signed with another secret is refused');
          const reply = await fetch(`${server.url}/webhooks/shop`, {
            method: 'POST',
            body,
            headers: signedShopDelivery(body, SHOP_SECRET, headers),
          });
          assert.equal(reply.status, 200, await reply.clone().text());
          const accepted = (await reply.json()) as { id: number; status: string };
          assert.equal(accepted.status, 'accepted');

          const event = await waitForOutcome(dir, env, accepted.id);
          assert.equal(event.status, 'succeeded', `event ${accepted.id}: ${JSON.stringify(event)}\n${server.output()}`);
          // statusMap made the shop's "paid" an accepted payment: the home's money counts it.
          assert.equal(event.transactionStatus, 'accepted');
          const calls = erpRequests.filter((r) => (r.body as { order?: { id?: string } } | null)?.order?.id === orderId);
          assert.equal(calls.length, 1, 'the ERP was asked once');
          assert.equal(calls[0]?.path, '/invoices');
          assert.match(calls[0]?.idempotencyKey ?? '', /\S/, 'with an idempotency key');
          const log = readFileSync(path.join(dir, 'sales.log'), 'utf8');
          assert.match(log, new RegExp(`^${accepted.id} \\{"invoiceId":"INV-\\d+"\\}$`, 'm'), 'the second stage appended the sale');
        } finally {
          await server.stop();
        }
      },
    );
  }

  for (const type of ['commonjs', 'module'] as const) {
    it(
      `${type} project: README's stage file, config and tsconfig.json pass \`npx tsc\`; a wrong stage does not`,
      { timeout: 150_000 },
      async () => {
        const { dir } = projects[type];
        const env = childEnv();
        const devInstall = /`npm (install --save-dev typescript [^`]+)`/.exec(readme)?.[1]?.split(/\s+/);
        assert.ok(devInstall, 'README.md says how to install TypeScript');
        const installed = await run('npm', [...devInstall, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, env });
        assert.equal(installed.status, 0, installed.stderr);
        mkdirSync(path.join(dir, 'stages'), { recursive: true });
        writeFileSync(path.join(dir, 'stages/notify-crm.ts'), stageFile);
        writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig);
        // README.md's config (written by before()) and a config with only the WEBPIG_* sources
        // (no `sources`), importing the stage file as README.md spells it.
        const importLine = /`(import \{ notifyCrm \} from '[^']+';)`/.exec(readme)?.[1];
        assert.ok(importLine, "README.md shows the stage's import");
        writeFileSync(
          path.join(dir, 'stages/typed.config.ts'),
          `import { defineConfig, definePipeline } from 'webpig';
${importLine.replace("'./stages/", "'./")}

export default defineConfig({
  pipelines: [
    definePipeline({
      name: 'payments',
      match: (event) => event.source === 'stripe',
      stages: [{ name: 'create_invoice', run: async () => ({ invoiceId: 'INV-1' }) }, notifyCrm],
    }),
  ],
  columns: [{ key: 'CRM', label: { es: 'CRM', en: 'CRM' } }],
});
`,
        );
        const checked = await run('npx', ['--no', 'tsc'], { cwd: dir, env });
        assert.equal(checked.status, 0, `npx tsc:\n${checked.stdout}${checked.stderr}`);
        // webpig loads the same files: the config without sources, the stage through its .js spelling.
        const db = `sqlite:${path.join(dir, 'typed.db')}`;
        const migrated = await run('npx', ['--no', '--', 'webpig', '--config', 'stages/typed.config.ts', '--db', db, 'migrate'], {
          cwd: dir,
          env,
        });
        assert.equal(migrated.status, 0, migrated.stderr);
        const listed = await run('npx', ['--no', '--', 'webpig', '--config', 'stages/typed.config.ts', '--db', db, 'events'], {
          cwd: dir,
          env: childEnv({ WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_typed' }),
        });
        assert.equal(listed.status, 0, listed.stderr);

        // The types are webpig's real ones: a stage that gets them wrong does not pass.
        writeFileSync(path.join(dir, 'stages/wrong.ts'), stageFile.replace("dependsOn: ['create_invoice']", "dependsOn: 'create_invoice'"));
        const wrong = await run('npx', ['--no', 'tsc'], { cwd: dir, env });
        assert.notEqual(wrong.status, 0, 'tsc refuses a dependsOn that is not a list');
        assert.match(wrong.stdout, /stages\/wrong\.ts.*Type 'string' is not assignable to type 'string\[\]'/);
        rmSync(path.join(dir, 'stages/wrong.ts'));
      },
    );
  }

  it(
    'upgrading as docs/deploy.md says: `npm install` of a newer tarball at the same path replaces the installed copy',
    { timeout: 120_000 },
    async () => {
      const { dir } = projects.commonjs;
      // A "newer" webpig under the same file name and version: the packed files plus one more.
      const unpacked = path.join(work, 'newer');
      mkdirSync(unpacked);
      assert.equal((await run('tar', ['-xzf', tarball, '-C', unpacked], { cwd: work })).status, 0);
      writeFileSync(path.join(unpacked, 'package/UPGRADED'), 'the newer tarball\n');
      const repacked = await run('tar', ['-czf', tarball, '-C', unpacked, 'package'], { cwd: work });
      assert.equal(repacked.status, 0, repacked.stderr);
      const env = childEnv({ npm_config_strict_allow_scripts: 'true', ...(await localPrebuild(path.join(work, 'prebuilds-upgrade'))) });
      const upgraded = await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, env });
      assert.equal(upgraded.status, 0, upgraded.stderr);
      assert.equal(
        readFileSync(path.join(dir, 'node_modules/webpig/UPGRADED'), 'utf8'),
        'the newer tarball\n',
        'the installed copy is the newer one',
      );
      const migrated = await run('npx', ['--no', '--', 'webpig', '--db', `sqlite:${path.join(dir, 'webpig.db')}`, 'migrate'], {
        cwd: dir,
        env: childEnv(),
      });
      assert.equal(migrated.status, 0, migrated.stderr);
      assert.match(migrated.stdout, /^nothing to apply; schema is at version \d+$/m);
    },
  );
});
