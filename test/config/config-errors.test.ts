/**
 * A config that is wrong says what to do: an `undefined` value names the field and the
 * environment variables the file reads that are unset; a flag's `allowed` entry that is no
 * role lists the roles there are.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { unsetEnvironmentVariables } from '../../src/config/issues.js';
import { resolveConfig } from '../../src/config/resolve.js';

const dir = mkdtempSync(path.join(tmpdir(), 'webpig-config-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function messageOf(candidate: unknown): string {
  try {
    resolveConfig(candidate, 'webpig.config.ts');
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'a ConfigError');
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.message;
  }
  assert.fail('the config was accepted');
}

const custom = (secret: unknown) => ({ name: 'shop', kind: 'custom', secrets: [secret], paths: { eventId: 'id' } });

describe('an undefined value in webpig.config.ts', () => {
  it('names the field and the likely cause: an unset environment variable', () => {
    const message = messageOf({ sources: [custom(undefined)], pipelines: [] });
    assert.match(
      message,
      /sources\.0\.secrets\.0: is undefined \(expected string\); an environment variable it is read from is probably not set/,
    );
    assert.doesNotMatch(message, /received undefined/);
    const oidc = messageOf({ sources: [], pipelines: [], auth: { oidc: { issuer: 'https://id.example.com', clientId: undefined } } });
    assert.match(oidc, /auth\.oidc\.clientId: is undefined/);
  });

  it('a field left out is not blamed on the environment', () => {
    const message = messageOf({ pipelines: [] });
    assert.match(message, /sources: /);
    assert.doesNotMatch(message, /environment variable/);
  });

  it('loading the file names the variables it reads that are not set', async () => {
    const unset = 'WEBPIG_TEST_NEVER_SET_SHOP_SECRET';
    const set = 'WEBPIG_TEST_SET_ERP_URL';
    delete process.env[unset];
    process.env[set] = 'http://127.0.0.1:1';
    after(() => delete process.env[set]);
    const file = path.join(dir, 'webpig.config.ts');
    writeFileSync(
      file,
      `export default {
  sources: [{ name: 'shop', kind: 'custom', secrets: [process.env.${unset}!], paths: { eventId: 'id' } }],
  pipelines: [],
  database: process.env['${set}'] ? undefined : undefined,
};\n`,
    );
    await assert.rejects(loadConfigFile(file, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /sources\.0\.secrets\.0: is undefined/);
      assert.match(err.message, new RegExp(`webpig\\.config\\.ts reads ${unset}, which is not set`));
      assert.doesNotMatch(err.message, new RegExp(set), 'a variable that is set is not named');
      return true;
    });
  });

  it('finds both spellings of a variable in the source', () => {
    const source = 'a = process.env.ONE; b = process.env[\'TWO\']; c = process.env["THREE"]; d = process.env.SET';
    assert.deepEqual(unsetEnvironmentVariables(source, { SET: 'x' }), ['ONE', 'THREE', 'TWO']);
  });
});

describe("a flag's allowed list", () => {
  const base = {
    sources: [],
    pipelines: [],
    auth: { roles: { admin: { members: ['ana@example.com'] }, support: { members: [], scopes: ['events:read'] } } },
  };

  it('naming a role that does not exist lists the roles there are and how to add one', () => {
    const message = messageOf({ ...base, flags: [{ key: 'DIAN_ENABLED', description: 'd', allowed: ['admin', 'finance'] }] });
    assert.match(message, /flags\.0\.allowed: "finance" is not a role; the roles are admin, operator, viewer, support\./);
    assert.match(message, /Define it under auth\.roles/);
  });

  it('accepts configured and built-in roles, e-mail addresses and token:<name>', () => {
    const allowed = ['admin', 'operator', 'support', 'luis@example.com', 'token:erp-bot'];
    const config = resolveConfig({ ...base, flags: [{ key: 'DIAN_ENABLED', description: 'd', allowed }] }, 'webpig.config.ts');
    assert.deepEqual(config.flags?.[0]?.allowed, allowed);
  });
});

describe('a column label', () => {
  it('is a text or texts by language; anything else names the field and shows the two shapes', () => {
    assert.doesNotThrow(() =>
      resolveConfig({ sources: [], pipelines: [], columns: [{ key: 'order', label: { es: 'Pedido', en: 'Order' } }] }, 'webpig.config.ts'),
    );
    assert.doesNotThrow(() =>
      resolveConfig({ sources: [], pipelines: [], columns: [{ key: 'order', label: 'Pedido' }] }, 'webpig.config.ts'),
    );
    assert.match(
      messageOf({ sources: [], pipelines: [], columns: [{ key: 'order', label: { fr: 'Commande' } }] }),
      /columns\.0\.label: .*give a text, or \{ es: "texto", en: "text" \}/,
    );
    assert.match(
      messageOf({ sources: [], pipelines: [], columns: [{ key: 'order', label: {} }] }),
      /columns\.0\.label: give a text, or \{ es: "texto", en: "text" \}/,
    );
  });
});
