/**
 * docs/deploy.md's "A signed test delivery from each provider", run as written: its shell block
 * (openssl and curl, no webpig code) against `webpig start` on a scratch database whose sources
 * come only from the WEBPIG_* variables (the config has no `sources`), each with two secrets as
 * during rotation. Every delivery must be accepted, and each provider's event must reach its
 * pipeline; a second run of the block with another Stripe secret must be refused with a 401.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanEnv } from '../helpers/clean-env.js';
import { runCli, startCli } from '../helpers/cli.js';

const MARKER = '<!-- test/cli/first-webhooks.test.ts runs this block';
const root = mkdtempSync(path.join(tmpdir(), 'webpig-first-webhooks-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The fenced block that follows the marker in docs/deploy.md, exactly as written. */
function docsBlock(): string {
  const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const at = docs.indexOf(MARKER);
  assert.ok(at >= 0, `docs/deploy.md has "${MARKER}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(docs.slice(at))?.[1];
  assert.ok(block, 'a sh block follows the marker');
  return block;
}

const tools = ['bash', 'openssl', 'curl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = tools.length > 0 ? `needs ${tools.join(', ')} on PATH` : false;

const SECRETS = {
  WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_first_current,whsec_first_previous',
  WEBPIG_MERCADOPAGO_WEBHOOK_SECRET: 'mp-first-current,mp-first-previous',
  WEBPIG_EPAYCO_CUSTOMER_ID: '1234567',
  WEBPIG_EPAYCO_P_KEY: 'p-key-current,p-key-previous',
  WEBPIG_EPAYCO_VALIDATION: 'off',
};

describe('docs/deploy.md: a signed test delivery from each provider', { skip }, () => {
  it('the block is accepted by each provider source, and every event reaches the pipeline', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(path.join(root, 'project-'));
    // No `sources`: the three providers come from the WEBPIG_* variables alone.
    writeFileSync(
      path.join(dir, 'webpig.config.js'),
      `export default {
  pipelines: [{ name: 'payments', match: () => true, stages: [{ name: 'note', run: async (ctx) => ({ source: ctx.event.source }) }] }],
};
`,
    );
    const db = `sqlite:${path.join(dir, 'webpig.db')}`;
    const env = { ...SECRETS, WEBPIG_LOG_LEVEL: 'warn' };
    const server = startCli(['--db', db, 'start', '--port', '0'], { cwd: dir, env });
    try {
      const line = await server.waitForLine(/^webpig listening on /);
      const url = /listening on (http:\/\/[^\s(]+)/.exec(line)?.[1] ?? '';
      const block = docsBlock();
      const sent = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
        cwd: dir,
        env: cleanEnv({ ...SECRETS, WEBPIG_URL: url }),
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(sent.status, 0, sent.stderr);
      const replies = sent.stdout.trim().split('\n');
      assert.equal(replies.length, 3, sent.stdout);
      for (const reply of replies) assert.match(reply, /^\{"id":\d+,"status":"accepted"\}$/, `every delivery accepted: ${sent.stdout}`);

      const deadline = Date.now() + 30_000;
      let events: Array<{ source: string; status: string; pipeline: string | null }> = [];
      while (Date.now() < deadline) {
        const listed = runCli(['--db', db, 'events', '--json'], { cwd: dir });
        assert.equal(listed.status, 0, listed.stderr);
        events = JSON.parse(listed.stdout) as typeof events;
        if (events.length === 3 && events.every((event) => event.status === 'succeeded')) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.deepEqual(events.map((event) => `${event.source} ${event.status} ${event.pipeline}`).sort(), [
        'epayco succeeded payments',
        'mercadopago succeeded payments',
        'stripe succeeded payments',
      ]);

      // The same block with a secret webpig does not have: the 401 says what it expected.
      const forged = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
        cwd: dir,
        env: cleanEnv({ ...SECRETS, WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_not_this_one', WEBPIG_URL: url }),
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.match(forged.stdout.split('\n')[0] ?? '', /"code":"SIGNATURE_INVALID"/, forged.stdout);
    } finally {
      await server.stop();
    }
  });
});
