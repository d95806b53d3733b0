import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/tokens.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseAuthConfig } from '../../src/config/auth.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { flagPermission, rolesFor, scopesForRoles, type Principal } from '../../src/server/auth/principal.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { AUTH, json, startApi, type Harness } from './api-harness.js';

describe('webpig tokens create | list | revoke', () => {
  const { dir, remove } = tempDatabaseDir('webpig-tokens-');
  const url = `sqlite:${join(dir, 'tokens.db')}`;
  let printed: string[] = [];

  async function run(...args: string[]): Promise<string[]> {
    printed = [];
    const program = new Command('webpig').exitOverride();
    program.configureOutput({ writeErr: (text) => printed.push(`ERR ${text.trim()}`), writeOut: (text) => printed.push(text.trim()) });
    register(program, {
      openStore: async () => {
        const store = SqliteStore.open(url);
        await store.migrate();
        return store;
      },
      print: (line) => printed.push(line),
      actor: 'cli:tester',
      now: () => new Date(Date.UTC(2026, 0, 15)),
    });
    await program.parseAsync(['node', 'webpig', ...args]);
    return printed;
  }

  async function withStore<T>(work: (store: SqliteStore) => Promise<T>): Promise<T> {
    const store = SqliteStore.open(url);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  after(() => remove());

  test('create prints the token once; the store keeps only its sha256; the creation is audited', async () => {
    const out = await run('tokens', 'create', '--name', 'erp-sync', '--scope', 'events:read', '--scope', 'events:retry');
    const token = out.find((line) => line.startsWith('wp_'));
    assert.ok(token, out.join('\n'));
    assert.match(token, /^wp_[A-Za-z0-9_-]{43}$/);
    await withStore(async (store) => {
      const [record] = await store.listApiTokens();
      assert.equal(record?.name, 'erp-sync');
      assert.deepEqual(record?.scopes, ['events:read', 'events:retry']);
      assert.equal(record?.tokenHash, createHash('sha256').update(token).digest('hex'));
      assert.equal(record?.createdBy, 'cli:tester');
      const dump = JSON.stringify(await store.listApiTokens());
      assert.ok(!dump.includes(token.slice(3)), 'the token itself is stored nowhere');
      assert.equal((await store.listAudit({ action: 'token.create' })).items[0]?.actor, 'cli:tester');
    });
    const listed = await run('tokens', 'list');
    assert.match(listed[0] ?? '', /^1\terp-sync\tevents:read,events:retry\tactive\tnever used/);
    assert.ok(!listed.join('\n').includes(token));
  });

  test('comma-separated scopes and --json work; unknown scopes are refused and nothing is stored', async () => {
    const out = await run('tokens', 'create', '--name', 'flags-bot', '--scope', 'flags:write,audit:read', '--json');
    const created = JSON.parse(out[0] ?? '{}') as { id: number; scopes: string[]; token: string };
    assert.deepEqual(created.scopes, ['flags:write', 'audit:read']);
    assert.match(created.token, /^wp_/);
    await assert.rejects(run('tokens', 'create', '--name', 'x', '--scope', 'root'), /unknown scope "root"/);
    await assert.rejects(run('tokens', 'create', '--name', 'x'), /--scope is required: give one or more of events:read/);
    assert.equal(await withStore(async (store) => (await store.listApiTokens()).length), 2);
  });

  test('revoke makes a token unusable at once; revoking twice or an unknown id is an error', async () => {
    const out = await run('tokens', 'create', '--name', 'short-lived', '--scope', 'events:read');
    const token = out.find((line) => line.startsWith('wp_')) ?? '';
    const id = Number(/token (\d+)/.exec(out[0] ?? '')?.[1]);
    const h: Harness = await startApi();
    try {
      // Same token, other store: mint it into the API's store through the same hashing.
      await h.store.createApiToken({
        name: 'short-lived',
        tokenHash: createHash('sha256').update(token).digest('hex'),
        scopes: ['events:read'],
        createdBy: 't',
        now: new Date(),
      });
      assert.equal((await h.request('GET', '/api/me', { headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
    } finally {
      await h.close();
    }
    assert.deepEqual(await run('tokens', 'revoke', String(id)), [`token ${id} revoked`]);
    await withStore(async (store) => {
      assert.equal(
        await store.findApiTokenByHash(createHash('sha256').update(token).digest('hex')).then((r) => r?.revokedAt !== null),
        true,
      );
      assert.equal((await store.listAudit({ action: 'token.revoke' })).items[0]?.target, `token:${id}`);
    });
    await assert.rejects(run('tokens', 'revoke', String(id)), /no active token/);
    await assert.rejects(run('tokens', 'revoke', 'abc'), /the id is a number/);
  });
});

describe('API tokens against the API', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('a token is used (lastUsedAt), scoped (audit:read needed for /api/audit), and dies when revoked', async () => {
    const reader = await h.token(['events:read'], 'reader');
    assert.equal((await h.request('GET', '/api/events', reader)).statusCode, 200);
    assert.equal((await h.request('GET', '/api/audit', reader)).statusCode, 403);
    const [record] = (await h.store.listApiTokens()).filter((t) => t.name === 'reader');
    assert.ok(record?.lastUsedAt);
    const auditor = await h.token(['audit:read'], 'auditor');
    assert.equal((await h.request('GET', '/api/audit', auditor)).statusCode, 200);
    assert.equal((await h.request('GET', '/api/events', auditor)).statusCode, 403, 'audit:read does not include events:read');
    const me = json<{ scopes: string[] }>(await h.request('GET', '/api/me', await h.token(['admin'])));
    assert.deepEqual(me.scopes.sort(), ['admin', 'audit:read', 'events:read', 'events:retry', 'flags:write', 'stages:rerun']);
    await h.store.revokeApiToken(record.id, h.clock.now);
    assert.equal((await h.request('GET', '/api/events', reader)).statusCode, 401);
  });
});

describe('auth configuration', () => {
  test('defaults: well-known roles, viewer as default role, 12 h sessions, no dev sign-in', () => {
    const auth = parseAuthConfig({}, {});
    assert.deepEqual(Object.keys(auth.roles).sort(), ['admin', 'operator', 'viewer']);
    assert.equal(auth.defaultRole, 'viewer');
    assert.equal(auth.sessionTtlMs, 12 * 3_600_000);
    assert.equal(auth.devLogin, false);
    assert.equal(auth.oidc, null);
  });

  test('the client secret comes from the environment; messages name the field', () => {
    const oidc = { issuer: 'https://accounts.google.com', clientId: 'abc' };
    assert.equal(parseAuthConfig({ oidc }, { WEBPIG_OIDC_CLIENT_SECRET: 's3cret' }).oidc?.clientSecret, 's3cret');
    assert.equal(parseAuthConfig({ oidc: { ...oidc, clientSecretEnv: 'MY_SECRET' } }, { MY_SECRET: 'x' }).oidc?.clientSecret, 'x');
    assert.throws(
      () => parseAuthConfig({ oidc }, {}),
      (err: unknown) => err instanceof ConfigError && /auth\.oidc\.clientSecret.*WEBPIG_OIDC_CLIENT_SECRET/.test(err.message),
    );
    assert.throws(() => parseAuthConfig({ oidc: { ...oidc, issuer: 'not a url' } }, {}), /auth\.oidc\.issuer/);
    assert.throws(() => parseAuthConfig({ roles: { finance: { members: [] } } }, {}), /auth\.roles\.finance\.scopes/);
    assert.throws(() => parseAuthConfig({ roles: { ops: { members: [], scopes: ['root'] } } }, {}), /auth\.roles\.ops\.scopes/);
    assert.throws(() => parseAuthConfig({ defaultRole: 'ghost' }, {}), /auth\.defaultRole/);
    assert.throws(() => parseAuthConfig({ sessionTtlMs: -1 }, {}), /auth\.sessionTtlMs/);
  });

  test('roles map to scopes; people in no role get the default role, or nothing when it is null', () => {
    const auth = parseAuthConfig(AUTH, {});
    assert.deepEqual(rolesFor(auth, 'ADMIN1@sentiretaller.com'), ['admin']);
    assert.deepEqual(rolesFor(auth, 'new@sentiretaller.com'), ['viewer']);
    assert.deepEqual(scopesForRoles(auth, ['finance']), ['events:read']);
    assert.deepEqual(rolesFor(parseAuthConfig({ ...AUTH, defaultRole: null }, {}), 'new@sentiretaller.com'), []);
  });

  test('flag lists match e-mails case-insensitively and role names; the default list is admins only', () => {
    const person = (email: string, roles: string[]): Principal => ({
      kind: 'session',
      email,
      name: null,
      roles,
      scopes: ['events:read'],
      csrfToken: 'x',
      sessionId: 's',
      tokenId: null,
    });
    assert.equal(
      flagPermission(
        person('Finance1@SentireTaller.com', ['finance']),
        { key: 'F', description: '', allowed: ['finance1@sentiretaller.com'] },
        'F',
      ).canChange,
      true,
    );
    assert.equal(
      flagPermission(person('x@sentiretaller.com', ['finance']), { key: 'F', description: '', allowed: ['finance'] }, 'F').canChange,
      true,
    );
    const refused = flagPermission(person('x@sentiretaller.com', ['operator']), { key: 'F', description: '' }, 'F');
    assert.deepEqual(refused, { canChange: false, reason: 'only admin may change F' });
  });

  test('a flag list naming a role that does not exist is refused at start, naming the flag', () => {
    const withFlags = (allowed: string[]) =>
      resolveConfig({ sources: [], pipelines: [], auth: AUTH, flags: [{ key: 'DIAN', description: '', allowed }] }, 'webpig.config.ts');
    assert.doesNotThrow(() => withFlags(['finance', 'x@y.co', 'token:bot', 'admin']));
    assert.throws(() => withFlags(['finanse']), /flags\.0\.allowed: "finanse" is not a role.*\(flag "DIAN"\)/);
  });
});
