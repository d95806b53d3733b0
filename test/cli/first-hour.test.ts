/**
 * A new user's first hour with the `webpig` command, as a child process on real files: the
 * mistakes one makes then (a folder given as the database, a source name mistyped) get a
 * message that says what is wrong and what to give instead, with the usage exit code (2).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { delivery } from '../helpers/engine-fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'webpig-first-hour-'));
after(() => rmSync(root, { recursive: true, force: true }));

function usageLine(result: CliResult, pattern: RegExp, what: string): void {
  assert.equal(result.status, 2, `${what}: exit 2; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '', `${what}: nothing on stdout`);
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, `${what}: one line: ${result.stderr}`);
  assert.match(result.stderr, pattern, what);
}

describe('--db naming a folder', () => {
  it('says it is a directory and names a file in it to give instead; creates nothing in it', () => {
    const folder = mkdtempSync(path.join(root, 'data-'));
    for (const args of [['migrate'], ['events'], ['flags']]) {
      const result = runCli(['--db', `sqlite:${folder}`, ...args], { cwd: root });
      usageLine(
        result,
        new RegExp(`^webpig: ${folder} is a directory, not a database file: name a file in it, e\\.g\\. sqlite:${folder}/webpig\\.db\\n$`),
        args.join(' '),
      );
    }
    assert.deepEqual(readdirSync(folder), [], 'nothing was written in the folder');
  });

  it("the demo's --db (a file, not a URL) says so in the demo's words", () => {
    const folder = mkdtempSync(path.join(root, 'demo-'));
    const result = runCli(['demo', '--db', folder, '--no-traffic', '--port', '0'], { cwd: root });
    usageLine(
      result,
      new RegExp(
        `^webpig: --db ${folder} is a directory, not a database file: give the demo a file in it, e\\.g\\. --db ${folder}/webpig-demo\\.db\\n$`,
      ),
      'demo',
    );
    assert.deepEqual(readdirSync(folder), []);
  });
});

describe('--source naming no source', () => {
  const dir = mkdtempSync(path.join(root, 'project-'));
  const db = path.join(dir, 'webpig.db');
  // The operator's shell has none of the sources' secrets: the names are read all the same.
  writeFileSync(
    path.join(dir, 'webpig.config.js'),
    `export default {
  sources: [
    { name: 'shop', kind: 'custom', secrets: [process.env.SHOP_SECRET_NOT_SET], paths: { eventId: 'id' } },
    { name: 'erp', kind: 'custom', secrets: [process.env.ERP_SECRET_NOT_SET], paths: { eventId: 'id' } },
  ],
  pipelines: [{ name: 'orders', match: () => true, stages: [{ name: 'invoice', run: async () => undefined }] }],
};
`,
  );
  const run = (...args: string[]) => runCli(args, { cwd: dir });

  it('events and bulk retry: unknown source, the configured ones listed, exit 2', async () => {
    mkdirSync(dir, { recursive: true });
    const store = await openStore(`sqlite:${db}`);
    await store.migrate();
    await store.insertEvent(delivery({ source: 'shop', providerEventId: 'shop-1' }));
    // A source taken out of the config whose events remain: still listed by its name.
    await store.insertEvent(delivery({ source: 'legacy', providerEventId: 'legacy-1' }));
    await store.close();

    const pattern =
      /^webpig: --source: unknown source "nope" \(no source of that name in the config, and no event from one\); the configured sources are shop, erp\n$/;
    usageLine(run('events', '--source', 'nope'), pattern, 'events');
    usageLine(run('events', '--source', 'nope', '--json'), pattern, 'events --json');
    usageLine(run('retry', '--status', 'dead', '--source', 'nope', '--dry-run'), pattern, 'retry --dry-run');
    // The environment's sources are configured sources too.
    const withStripe = runCli(['events', '--source', 'nope'], { cwd: dir, env: { WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_x' } });
    usageLine(withStripe, /the configured sources are shop, erp, stripe\n$/, 'with WEBPIG_STRIPE_WEBHOOK_SECRET');

    const configuredEmpty = run('events', '--source', 'erp');
    assert.equal(configuredEmpty.status, 0, configuredEmpty.stderr);
    assert.equal(configuredEmpty.stdout, 'no events\n', 'a configured source with no events yet is just empty');
    const legacy = run('events', '--source', 'legacy', '--json');
    assert.equal(legacy.status, 0, legacy.stderr);
    assert.deepEqual(
      (JSON.parse(legacy.stdout) as Array<{ source: string }>).map((e) => e.source),
      ['legacy'],
    );
    assert.ok(existsSync(db));
  });
});

describe('webpig start at a terminal and under a supervisor', () => {
  it('stdout is JSON log lines only; the listening line (and the shutdown note) is on stderr', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(root, 'start-'));
    writeFileSync(path.join(dir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    // info: the request logs are there to mix with.
    const server = startCli(['--db', `sqlite:${path.join(dir, 'webpig.db')}`, 'start', '--port', '0'], {
      cwd: dir,
      env: { WEBPIG_LOG_LEVEL: 'info' },
    });
    try {
      const line = await server.waitForLine(/^webpig listening on /);
      const url = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.match(server.errorOutput(), /^webpig listening on http:\/\/127\.0\.0\.1:\d+ \(webhooks at /m);
    } finally {
      await server.stop();
    }
    const stdout = server.output().split('\n').filter(Boolean);
    assert.ok(stdout.length >= 3, `the server, the worker and the request were logged: ${server.output()}`);
    for (const logLine of stdout) {
      assert.doesNotThrow(() => JSON.parse(logLine), `not a JSON line on stdout: ${logLine}`);
    }
    assert.doesNotMatch(server.output(), /webpig listening on/);
    assert.match(server.errorOutput(), /SIGTERM received, stopping/);
  });
});
