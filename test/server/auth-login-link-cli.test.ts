import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/core/errors.js';
import { buildServer, composeServer } from '../../src/service/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { listenLocal } from '../helpers/browser.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/**
 * `webpig login-link` as a user runs it: from the CLI, against the config file and database a
 * real server uses; the URL it prints signs the person in on that server. Also: a server with
 * OpenID Connect but no public URL refuses to start.
 */

/** Hermetic: the caller's WEBPIG_* variables never reach the CLI (undefined drops them). */
const ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('WEBPIG_'))
    .map((k) => [k, undefined]),
);

const CONFIG = `export default {
  sources: [],
  pipelines: [],
  server: { port: 4999 },
  auth: { allowedDomains: ['example.com'], defaultRole: null, roles: { admin: { members: ['ana@example.com'] }, operator: { members: ['luis@gmail.com'] } } },
};
`;

describe('webpig login-link', () => {
  const { dir, remove } = tempDatabaseDir('webpig-login-link-');
  const db = `sqlite:${join(dir, 'webpig.db')}`;
  const config = join(dir, 'webpig.config.js');
  let store: SqliteStore;
  let app: FastifyInstance;
  let baseUrl: string;
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: ENV });

  before(async () => {
    writeFileSync(config, CONFIG);
    store = SqliteStore.open(db);
    await store.migrate();
    const { loadConfigFile } = await import('../../src/config/load-config.js');
    app = await composeServer({ store, config: await loadConfigFile(config), logger: false });
    baseUrl = await listenLocal(app);
  });
  after(async () => {
    await app.close();
    await store.close();
    remove();
  });

  test('prints a URL on the configured base that signs the person in, with their roles', async () => {
    const result = cli(['login-link', 'luis@gmail.com', '--db', db, '--base-url', baseUrl]);
    assert.equal(result.status, 0, result.stderr);
    const url = result.stdout.trim();
    assert.match(url, new RegExp(`^${baseUrl}/auth/link\\?token=wpl_`), 'only the URL on stdout');
    assert.match(result.stderr, /luis@gmail\.com \(roles: operator\); works once, for 15 minutes/);
    const token = new URL(url).searchParams.get('token') ?? '';
    const signedIn = await fetch(new URL('/auth/link', baseUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    assert.equal(signedIn.status, 303);
    const cookie = signedIn.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const me = (await (await fetch(new URL('/api/me', baseUrl), { headers: { cookie } })).json()) as { email: string; roles: string[] };
    assert.deepEqual(me, { ...me, email: 'luis@gmail.com', roles: ['operator'] });
    const audit = await store.listAudit({ action: 'login_link.create' });
    assert.match(audit.items[0]?.actor ?? '', /^cli/);
  });

  test("needs no webhook secret: an admin's shell has the database, not the sources' secrets", () => {
    const withSource = join(dir, 'with-source.config.js');
    writeFileSync(
      withSource,
      CONFIG.replace(
        'sources: [],',
        "sources: [{ name: 'shop', kind: 'custom', secrets: [process.env.SHOP_SECRET_NOT_SET], paths: { eventId: 'id', type: 'type' } }],",
      ),
    );
    const result = cli(['login-link', 'luis@gmail.com', '--db', db, '--config', withSource]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.trim(), /\/auth\/link\?token=wpl_/);
    // The same config does stop a command that receives webhooks.
    const start = cli(['--db', db, '--config', withSource, 'start']);
    assert.equal(start.status, 2);
    assert.match(start.stderr, /sources\.0\.secrets\.0/);
  });

  test('without --base-url the link points at http://127.0.0.1:<server.port>; --json prints the details', () => {
    const result = cli(['login-link', 'ANA@example.com', '--db', db, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as { url: string; email: string; roles: string[]; expiresAt: string };
    assert.match(printed.url, /^http:\/\/127\.0\.0\.1:4999\/auth\/link\?token=wpl_/);
    assert.deepEqual([printed.email, printed.roles], ['ana@example.com', ['admin']]);
    assert.ok(Math.abs(Date.parse(printed.expiresAt) - Date.now() - 15 * 60_000) < 60_000);
  });

  test('without server.publicUrl or --base-url, the URL is guessed from server.port and says so', () => {
    const result = cli(['login-link', 'ana@example.com', '--config', config, '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.trim(), /^http:\/\/127\.0\.0\.1:4999\/auth\/link\?token=wpl_/);
    assert.match(
      result.stderr,
      /\n\(for a server at http:\/\/127\.0\.0\.1:4999, from server\.port; if it listens elsewhere, e\.g\. webpig start --port N, pass --base-url\)\n$/,
    );
    const given = cli(['login-link', 'ana@example.com', '--config', config, '--db', db, '--base-url', baseUrl]);
    assert.doesNotMatch(given.stderr, /from server\.port/, 'nothing guessed, nothing to say');
  });

  test('server.publicUrl wins over --base-url (the URL people really use)', () => {
    const withPublicUrl = join(dir, 'public.config.js');
    writeFileSync(
      withPublicUrl,
      CONFIG.replace('server: { port: 4999 }', "server: { port: 4999, publicUrl: 'https://webpig.example.com' }"),
    );
    const result = cli(['login-link', 'ana@example.com', '--config', withPublicUrl, '--db', db, '--base-url', 'http://10.0.0.1:3000']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.trim(), /^https:\/\/webpig\.example\.com\/auth\/link\?token=wpl_/);
  });

  test('an e-mail the config does not know: exit 1, a message naming the fields, and no database touched', () => {
    const fresh = join(dir, 'untouched.db');
    for (const email of ['mallory@evil.example', 'someone@example.com']) {
      const result = cli(['login-link', email, '--db', `sqlite:${fresh}`]);
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, new RegExp(`${email.replace('.', '\\.')} (is not in the config|has no role).*auth\\.roles`));
      // One line like every other error: no code tacked on at the end.
      assert.match(result.stderr, /^webpig: [^\n]*\)\n$/);
      assert.doesNotMatch(result.stderr, /\((PERSON|[A-Z]+_[A-Z_]+)\)\n$/);
    }
    assert.equal(existsSync(fresh), false, 'refused before the database is opened');
  });

  test('usage mistakes exit 2: no e-mail, not an e-mail, a base URL that is not http(s)', () => {
    for (const args of [['login-link'], ['login-link', 'not-an-email'], ['login-link', 'ana@example.com', '--base-url', 'ftp://x']]) {
      const result = cli([...args, '--db', db]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^webpig: /);
    }
  });
});

describe('auth.oidc without server.publicUrl', () => {
  const oidc = { issuer: 'https://accounts.example.com', clientId: 'webpig', clientSecret: 's3cret' };

  test('the server refuses to start, naming both fields', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    try {
      await assert.rejects(
        buildServer({ store, config: { sources: [], pipelines: [], auth: { oidc } }, logger: false }),
        (err: unknown) => err instanceof ConfigError && /auth\.oidc.*server\.publicUrl/.test(err.message),
      );
      const app = await buildServer({
        store,
        config: { sources: [], pipelines: [], auth: { oidc }, server: { publicUrl: 'https://webpig.example.com' } },
        logger: false,
      });
      await app.close();
    } finally {
      await store.close();
    }
  });

  test('`webpig start` exits with that message instead of serving a sign-in that cannot work', () => {
    const { dir, remove } = tempDatabaseDir('webpig-oidc-start-');
    try {
      writeFileSync(
        join(dir, 'webpig.config.js'),
        `export default { sources: [], pipelines: [], auth: { oidc: ${JSON.stringify(oidc)} } };\n`,
      );
      const result = runCli(['--db', `sqlite:${join(dir, 'w.db')}`, 'start', '--port', '0'], { cwd: dir, env: ENV });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /auth\.oidc is set but server\.publicUrl is not/);
    } finally {
      remove();
    }
  });
});

describe('`webpig start` logs', () => {
  test('request logs show the link’s path but never its token', async () => {
    const { dir, remove } = tempDatabaseDir('webpig-link-logs-');
    const db = `sqlite:${join(dir, 'webpig.db')}`;
    writeFileSync(join(dir, 'webpig.config.js'), CONFIG);
    const server = startCli(['--db', db, 'start', '--port', '0'], { cwd: dir, env: ENV });
    let output = '';
    const printed = { token: '' };
    server.child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const line = await server.waitForLine(/listening on http/);
      const baseUrl = /(http:\/\/[^ ]+) /.exec(line)?.[1] ?? '';
      const url = runCli(['login-link', 'ana@example.com', '--db', db, '--base-url', baseUrl], { cwd: dir, env: ENV }).stdout.trim();
      const token = new URL(url).searchParams.get('token') ?? '';
      printed.token = token;
      assert.match(token, /^wpl_/);
      assert.equal((await fetch(url)).status, 200);
      const posted = await fetch(new URL('/auth/link', baseUrl), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      assert.equal(posted.status, 303);
    } finally {
      await server.stop();
      remove();
    }
    // Requests are logged by path, never with their query string (src/core/logging.ts).
    assert.match(output, /"path":"\/auth\/link"/, 'the request was logged');
    assert.ok(!output.includes(printed.token.slice(4)), 'no token in the log');
  });
});
