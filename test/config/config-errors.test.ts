/**
 * A config that is wrong says what to do: an `undefined` value names the field and the
 * environment variables the file reads that are unset; a flag's `allowed` entry that is no
 * role lists the roles there are.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { unsetEnvironmentVariables } from '../../src/config/issues.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { variablesReadFor } from '../../src/config/variables-read-for.js';
import { runCli } from '../helpers/cli.js';
import { readmeBlock, ROOT } from '../install/project.js';

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
    const message = messageOf({ sources: [] });
    assert.match(message, /pipelines: /);
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

  it("README's config with nothing set: names only the variable the missing secret is read from, as README.md shows", async () => {
    // Inside this checkout, so its `import … from 'webpig'` finds this package (dist/, built).
    mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    const readmeDir = mkdtempSync(path.join(ROOT, 'test-artifacts', 'readme-config-'));
    after(() => rmSync(readmeDir, { recursive: true, force: true }));
    const file = path.join(readmeDir, 'webpig.config.ts');
    writeFileSync(file, readmeBlock('<!-- the install test (test/install/install.test.ts) runs this block'));
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const shown = /with a message naming it, e\.g\. `([^`]+)`/.exec(readme)?.[1];
    assert.ok(shown, "README.md's example of the message");
    const variables = unsetEnvironmentVariables(readFileSync(file, 'utf8'), {});
    const saved = variables.map((name) => [name, process.env[name]] as const);
    for (const name of variables) delete process.env[name];
    after(() => {
      for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
    });
    assert.ok(variables.length > 3, `the README config reads optional variables too: ${variables.join(', ')}`);
    await assert.rejects(loadConfigFile(file, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `invalid configuration in webpig.config.ts: ${shown}`);
      return true;
    });
  });

  it('follows a constant the field names, and leaves out variables read for other fields', () => {
    const source = `const shopSecret = process.env.SHOP_SECRET!; // the shop signs with it
const issuer = process.env.OIDC_ISSUER;
export default {
  database: process.env.WEBPIG_DATABASE_URL, // https://example.com/secrets: not this
  sources: [{ name: 'shop', secrets: [shopSecret] }, { name: 'erp', 'secrets': [process.env['ERP_SECRET'] ?? ''] }],
  auth: { oidc: issuer ? { issuer, clientId: process.env.OIDC_CLIENT_ID! } : undefined },
};`;
    const unset = ['ERP_SECRET', 'OIDC_CLIENT_ID', 'OIDC_ISSUER', 'SHOP_SECRET', 'WEBPIG_DATABASE_URL'];
    assert.deepEqual(variablesReadFor(source, 'secrets', unset), ['ERP_SECRET', 'SHOP_SECRET']);
    assert.deepEqual(variablesReadFor(source, 'clientId', unset), ['OIDC_CLIENT_ID']);
    assert.deepEqual(variablesReadFor(source, 'webhookSecret', unset), []);
  });

  it('finds both spellings of a variable in the source', () => {
    const source = 'a = process.env.ONE; b = process.env[\'TWO\']; c = process.env["THREE"]; d = process.env.SET';
    assert.deepEqual(unsetEnvironmentVariables(source, { SET: 'x' }), ['ONE', 'THREE', 'TWO']);
  });
});

describe('OpenID Connect without its public URL and client secret', () => {
  it('both are listed in one run, with the other problems', () => {
    const message = messageOf({
      sources: [],
      pipelines: [],
      server: { port: 'eighty' },
      auth: { oidc: { issuer: 'https://id.example.com', clientId: 'webpig' } },
    });
    assert.match(message, /server\.port: /);
    assert.match(message, /server\.publicUrl: auth\.oidc is set but server\.publicUrl is not/);
    assert.match(message, /auth\.oidc\.clientSecret: not set; put it in the environment variable WEBPIG_OIDC_CLIENT_SECRET/);
  });

  it('a secret in the variable clientSecretEnv names is enough', () => {
    const oidc = { issuer: 'https://id.example.com', clientId: 'webpig', clientSecretEnv: 'SSO_SECRET' };
    const config = resolveConfig(
      { sources: [], pipelines: [], server: { publicUrl: 'https://webpig.example.com' }, auth: { oidc } },
      'webpig.config.ts',
      {
        env: { SSO_SECRET: 'from-the-environment' },
      },
    );
    assert.equal(config.auth.oidc?.clientSecret, 'from-the-environment');
    assert.match(
      messageOf({ sources: [], pipelines: [], server: { publicUrl: 'https://webpig.example.com' }, auth: { oidc } }),
      /environment variable SSO_SECRET$/,
    );
  });
});

describe("an ePayco source's validation", () => {
  const epayco = (validation: unknown) => ({
    sources: [{ name: 'epayco', kind: 'epayco', customerId: '1000', pKeys: ['p-key'], validation }],
    pipelines: [],
  });
  const expected = String.raw`sources\.0\.validation: expected false \(no check with ePayco\) or \{ baseUrl: "https://…", timeoutMs: 5000 \}`;

  it('that is neither false nor { baseUrl, timeoutMs } says what it takes and what it got, not "Invalid input"', () => {
    const bad = messageOf(epayco('htp://bad'));
    assert.match(bad, new RegExp(`${expected}.*, got "htp://bad", which is not an http:// or https:// URL`));
    assert.doesNotMatch(bad, /Invalid input/);
    assert.match(
      messageOf(epayco('https://sandbox.example.com')),
      /got "https:\/\/sandbox\.example\.com": a URL goes in baseUrl, validation: \{ baseUrl: "https:\/\/sandbox\.example\.com" \}/,
    );
    assert.match(messageOf(epayco('off')), /got "off": to turn the check off write validation: false/);
    assert.match(messageOf(epayco(true)), new RegExp(`${expected}.*, got true \\(source "epayco"\\)$`));
  });

  it('takes false and the object', () => {
    assert.equal(resolveConfig(epayco(false), 'webpig.config.ts').sources[0]?.kind, 'epayco');
    assert.doesNotThrow(() => resolveConfig(epayco({ baseUrl: 'https://sandbox.example.com' }), 'webpig.config.ts'));
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

describe("a flag's description", () => {
  it('is a text or texts by language; anything else names the field and shows the two shapes', () => {
    const flags = (description: unknown) => ({ sources: [], pipelines: [], flags: [{ key: 'DIAN_ENABLED', description }] });
    const config = resolveConfig(flags({ es: 'Emitir a la DIAN', en: 'Send to the DIAN' }), 'webpig.config.ts');
    assert.deepEqual(config.flags?.[0]?.description, { es: 'Emitir a la DIAN', en: 'Send to the DIAN' });
    assert.doesNotThrow(() => resolveConfig(flags('Emitir a la DIAN'), 'webpig.config.ts'));
    assert.match(messageOf(flags({})), /flags\.0\.description: give a text, or \{ es: "texto", en: "text" \}/);
    assert.match(messageOf(flags({ fr: 'Envoyer' })), /flags\.0\.description: .*give a text, or \{ es: "texto", en: "text" \}/);
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

/**
 * A misspelled field was dropped without a word: `signatureHeadr` left the default signature
 * header in place and every delivery of the sender was refused (401); `member` in a role let
 * nobody in; `summaryPath` left the dashboard's columns empty. Every object of the config now
 * refuses a field it does not know, naming it and the field it probably meant.
 */
describe('a misspelled field', () => {
  it('in a source, its paths, a role, auth, a section or the top level: named, with the field it probably meant', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { sources: [{ ...custom('s'), signatureHeadr: 'x-shop-signature' }], pipelines: [] },
        /^invalid configuration in webpig\.config\.ts: sources\.0: unknown field "signatureHeadr" \(did you mean "signatureHeader"\?\) \(source "shop"\)$/,
      ],
      [
        { sources: [{ ...custom('s'), paths: { eventId: 'id', entityKee: 'order.id' } }], pipelines: [] },
        /sources\.0\.paths: unknown field "entityKee" \(did you mean "entityKey"\?\) \(source "shop"\)/,
      ],
      [
        { sources: [{ ...custom('s'), summaryPath: { amount: 'total' } }], pipelines: [] },
        /sources\.0: unknown field "summaryPath" \(did you mean "summaryPaths"\?\)/,
      ],
      [
        { sources: [], pipelines: [], auth: { roles: { admin: { member: ['ana@example.com'] } } } },
        /auth\.roles\.admin: unknown field "member" \(did you mean "members"\?\)/,
      ],
      [
        { sources: [], pipelines: [], auth: { allowedDomain: ['example.com'] } },
        /auth: unknown field "allowedDomain" \(did you mean "allowedDomains"\?\)/,
      ],
      [{ sources: [], pipelines: [], server: { prot: 3000 } }, /server: unknown field "prot" \(did you mean "port"\?\)/],
      [{ sources: [], pipelines: [], colums: [] }, /\(config\): unknown field "colums" \(did you mean "columns"\?\)/],
      [
        { sources: [{ name: 'stripe', kind: 'stripe', secrets: ['whsec_x'], tolerance: 300 }], pipelines: [] },
        /sources\.0: unknown field "tolerance"; the fields here are name, kind, secrets, toleranceSeconds, testMode \(source "stripe"\)/,
      ],
    ];
    for (const [candidate, expected] of cases) assert.match(messageOf(candidate), expected);
  });

  it('a required field written under a near name (`pipeline:`) is one problem that says to rename it, not two', () => {
    const pipeline = { name: 'p', match: () => true, stages: [{ name: 's', run: async () => undefined }] };
    assert.equal(
      messageOf({ sources: [], pipeline: [pipeline] }),
      'invalid configuration in webpig.config.ts: (config): "pipeline" is not a field: rename it "pipelines" (required, and missing)',
    );
    // One pipeline, not a list: the rename says it is a list too.
    assert.equal(
      messageOf({ sources: [], pipeline }),
      'invalid configuration in webpig.config.ts: (config): "pipeline" is not a field: rename it "pipelines" (required, and missing, a list: pipelines: [ … ])',
    );
    // Beside another misspelling, each is still named; inside a source too.
    assert.match(
      messageOf({ sources: [], pipeline: [pipeline], colums: [] }),
      /: \(config\): "pipeline" is not a field: rename it "pipelines" \(required, and missing\); and unknown field "colums" \(did you mean "columns"\?\)$/,
    );
    assert.match(
      messageOf({ sources: [{ name: 'shop', kind: 'custom', secrets: ['s'], path: { eventId: 'id' } }], pipelines: [] }),
      /: sources\.0: "path" is not a field: rename it "paths" \(required, and missing\) \(source "shop"\)$/,
    );
  });

  it('webpig start refuses it: exit 2, one line, nothing listening', () => {
    const project = path.join(dir, 'misspelled');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'webpig.config.js'),
      "export default { sources: [{ name: 'shop', kind: 'custom', secrets: ['s'], signatureHeadr: 'x-shop-signature', paths: { eventId: 'id' } }], pipelines: [] };\n",
    );
    const result = runCli(['start', '--port', '0'], { cwd: project });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'webpig: invalid configuration in webpig.config.js: sources.0: unknown field "signatureHeadr" (did you mean "signatureHeader"?) (source "shop")\n',
    );
  });
});
