import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { findConfigFile, importFailure, loadConfigFile, resolveDatabaseUrl } from '../../src/config/load-config.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { runCli } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/clean-env.js';

const dir = mkdtempSync(path.join(tmpdir(), 'webpig-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** The built CLI (`npm run build`), as an installed package runs it. */
const BIN = fileURLToPath(new URL('../../bin/webpig.js', import.meta.url));
const pipelineImport = JSON.stringify(new URL('../../src/core/pipeline.ts', import.meta.url).href);

const validTs = `
import { definePipeline } from ${pipelineImport};
const secret: string = process.env.TEST_STRIPE_SECRET ?? 'whsec_test';
export default {
  sources: [{ name: 'stripe', kind: 'stripe', secrets: [secret] }],
  pipelines: [definePipeline({ name: 'p', match: () => true, stages: [{ name: 'a', flag: 'A_ON', run: async () => ({ ok: true }) }] })],
  flags: [{ key: 'A_ON', description: 'a', allowed: ['admin'] }],
  server: { port: 4000 },
};
`;

function rejects(candidate: unknown, pattern: RegExp): void {
  assert.throws(
    () => resolveConfig(candidate, 'webpig.config.ts'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, 'a ConfigError');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('webpig.config.ts loading', () => {
  it('finds webpig.config.ts in the working directory and loads it through tsx, typed', async () => {
    writeFileSync(path.join(dir, 'webpig.config.ts'), validTs);
    const file = findConfigFile(dir);
    assert.equal(file, path.join(dir, 'webpig.config.ts'));
    const config = await loadConfigFile(file!);
    assert.equal(config.sources[0]?.name, 'stripe');
    assert.equal(config.pipelines[0]?.stages[0]?.name, 'a');
    assert.equal(config.server?.port, 4000);
  });

  it('--config names a file; a missing one is a clear error', () => {
    assert.throws(() => findConfigFile(dir, 'nope.ts'), /config file not found: .*nope\.ts/);
  });

  it('a config that does not compile or throws is reported with its file name', async () => {
    const file = path.join(dir, 'broken.config.ts');
    writeFileSync(file, 'export default { sources: [, };\n');
    await assert.rejects(loadConfigFile(file), /could not load .*broken\.config\.ts/);
  });

  it('a file without a default export says so, whether Node loads it as CommonJS or as an ES module', async () => {
    const esmDir = mkdtempSync(path.join(dir, 'esm-'));
    writeFileSync(path.join(esmDir, 'package.json'), JSON.stringify({ type: 'module' }));
    // Outside a "type": "module" package tsx compiles the file to CommonJS, whose module.exports
    // (here { x: 1 }, or {} for an empty file) Node hands over as the default export.
    for (const folder of [dir, esmDir]) {
      for (const [name, text] of [
        ['named.config.ts', 'export const x = 1;\n'],
        ['empty.config.ts', ''],
        ['named.config.js', 'export const x = 1;\n'],
        ['undefined.config.ts', 'export default undefined;\n'],
      ]) {
        const file = path.join(folder, name!);
        writeFileSync(file, text!);
        await assert.rejects(loadConfigFile(file), (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.message, `${file} has no default export (export default defineConfig({...}))`);
          return true;
        });
      }
    }
  });

  it('an empty default export is a config: the message lists the fields it lacks, not "no default export"', async () => {
    const esmDir = mkdtempSync(path.join(dir, 'esm-empty-'));
    writeFileSync(path.join(esmDir, 'package.json'), JSON.stringify({ type: 'module' }));
    const files = [
      path.join(esmDir, 'webpig.config.js'),
      path.join(esmDir, 'webpig.config.ts'),
      path.join(dir, 'empty-default.config.mjs'),
      path.join(dir, 'empty-default.config.ts'), // compiled to CommonJS by tsx
    ];
    for (const file of files) {
      writeFileSync(file, 'export default {};\n');
      await assert.rejects(loadConfigFile(file, {}), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, `invalid configuration in ${path.basename(file)}: pipelines: missing (expected array)`);
        return true;
      });
    }
  });

  it('webpig start (the built bin, as installed) on an empty ES module config: exit 2, the fields it lacks', () => {
    // The built CLI, not src/ under the test's tsx loader: that loader hands ESM defaults over
    // differently, and hid this case.
    const esmDir = mkdtempSync(path.join(dir, 'esm-cli-'));
    writeFileSync(path.join(esmDir, 'package.json'), JSON.stringify({ type: 'module' }));
    for (const name of ['webpig.config.js', 'webpig.config.ts', 'webpig.config.mjs']) {
      const file = path.join(esmDir, name);
      writeFileSync(file, 'export default {};\n');
      const args = [BIN, '--config', file, '--db', `sqlite:${path.join(esmDir, 'webpig.db')}`, 'start', '--port', '0'];
      const result = spawnSync(process.execPath, args, { cwd: esmDir, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stderr.trim(), `webpig: invalid configuration in ${name}: pipelines: missing (expected array)`);
    }
  });

  it('a config importing a package that is not installed is one line: no require stack of internal paths', async () => {
    const file = path.join(dir, 'needs-a-package.config.ts');
    writeFileSync(file, "import 'no-such-package-webpig-test';\nexport default { sources: [], pipelines: [] };\n");
    await assert.rejects(loadConfigFile(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `could not load ${file}: Cannot find module 'no-such-package-webpig-test'`);
      return true;
    });
  });

  it('every message names the field at fault', () => {
    const base = { sources: [], pipelines: [] };
    rejects({ ...base, server: { port: 'eighty' } }, /server\.port: /);
    rejects({ ...base, worker: { concurrency: 0 } }, /worker\.concurrency: /);
    rejects({ ...base, sources: [{ name: 'stripe', kind: 'stripe', secrets: [] }] }, /sources\.0\.secrets: /);
    rejects({ ...base, sources: [{ name: 'x', kind: 'paypal' }] }, /sources\.0\.kind/);
    rejects({ ...base, flags: [{ key: 'lower', description: '' }] }, /flags\.0\.key: UPPER_SNAKE_CASE/);
    rejects({ ...base, unknownTop: 1 }, /unknownTop/);
    rejects({ ...base, alerts: { webhookUrl: 'ftp://hooks.example.com/x' } }, /alerts\.webhookUrl: must be an http:\/\/ or https:\/\/ URL/);
    rejects(
      { ...base, alerts: { webhookUrl: 'https://hooks.example.com/x', webhookSecret: 'short' } },
      /alerts\.webhookSecret: must be at least 16 characters/,
    );
    rejects({ ...base, pipelines: [{ name: 'p', match: 'yes', stages: [] }] }, /pipelines\.0\.match: expected a function/);
    rejects(
      { ...base, database: 'mysql://root:hunter2@db/x' },
      /^invalid configuration in webpig\.config\.ts: database: "mysql:\/\/root:\*\*\*@db\/x" is not a database URL: use sqlite:/,
    );
    rejects(
      { ...base, auth: { roles: { finance: { members: ['ana@example.com', 'not-an-email'] } } } },
      /auth\.roles\.finance\.members\.1: "not-an-email" is not an e-mail address/,
    );
  });

  it('accepts the database URLs webpig opens', () => {
    for (const database of ['sqlite:./webpig.db', 'sqlite::memory:', 'postgres://h/db', 'postgresql://u@h:5432/db?schema=shop']) {
      assert.equal(resolveConfig({ sources: [], pipelines: [], database }, 'webpig.config.ts').database, database);
    }
  });

  it("lists every problem at once: the cross-checks run beside the fields' own issues", () => {
    const stage = { name: 'a', flag: 'NOT_DECLARED', run: async () => undefined };
    assert.throws(
      () =>
        resolveConfig(
          { sources: [], pipelines: [{ name: 'p', match: () => true, stages: [stage] }], server: { port: 'eighty' } },
          'webpig.config.ts',
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /server\.port: /);
        assert.match(err.message, /stage "a" uses flag "NOT_DECLARED", which is not declared/);
        return true;
      },
    );
    // A field of the wrong type leaves the checks that read it silent, not crashing.
    rejects({ sources: 5, pipelines: [], reconcile: { shop: {} } }, /^invalid configuration in webpig\.config\.ts: sources: [^;]*$/);
  });

  it('cross-checks stages against declared flags and columns, and source names for duplicates', () => {
    const stage = { name: 'a', run: async () => undefined };
    rejects(
      { sources: [], pipelines: [{ name: 'p', match: () => true, stages: [{ ...stage, flag: 'NOT_DECLARED' }] }] },
      /stage "a" uses flag "NOT_DECLARED", which is not declared/,
    );
    rejects(
      {
        sources: [],
        columns: [{ key: 'CRM', label: 'CRM' }],
        pipelines: [{ name: 'p', match: () => true, stages: [{ ...stage, column: 'ERP' }] }],
      },
      /stage "a" names column "ERP"/,
    );
    const source = { name: 's', kind: 'stripe', secrets: ['whsec_x'] };
    rejects({ sources: [source, source], pipelines: [] }, /duplicate source "s"/);
    const pipeline = { name: 'orders', match: () => true, stages: [stage] };
    rejects({ sources: [], pipelines: [pipeline, { ...pipeline }] }, /pipelines\.1\.name: duplicate pipeline "orders"/);
    rejects(
      { sources: [], pipelines: [{ name: 'p', match: () => true, stages: [{ ...stage, dependsOn: ['zz'] }] }] },
      /depends on unknown stage "zz"/,
    );
  });

  it('the database URL comes from the flag, then WEBPIG_DATABASE_URL, then the config, then the default', () => {
    const config = { sources: [], pipelines: [], database: 'sqlite:./from-config.db' };
    assert.equal(resolveDatabaseUrl({ flag: 'sqlite::memory:', env: { WEBPIG_DATABASE_URL: 'x' }, config }), 'sqlite::memory:');
    assert.equal(resolveDatabaseUrl({ env: { WEBPIG_DATABASE_URL: 'postgres://h/db' }, config }), 'postgres://h/db');
    assert.equal(resolveDatabaseUrl({ env: {}, config }), 'sqlite:./from-config.db');
    assert.equal(resolveDatabaseUrl({ env: {} }), 'sqlite:./webpig.db');
  });
});

describe('sources from the documented environment variables', () => {
  const stripeOnly = `export default { sources: [{ name: 'stripe', kind: 'stripe', secrets: ['whsec_from_file'] }], pipelines: [] };\n`;

  it('adds a source for each provider whose WEBPIG_* variables are set, beside the configured ones', async () => {
    const file = path.join(dir, 'env-sources.config.js');
    writeFileSync(file, `export default { sources: [], pipelines: [] };\n`);
    const config = await loadConfigFile(file, {
      WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_new,whsec_old',
      WEBPIG_MERCADOPAGO_WEBHOOK_SECRET: 'mp-secret',
      WEBPIG_EPAYCO_CUSTOMER_ID: '12345',
      WEBPIG_EPAYCO_P_KEY: 'p-key',
    });
    assert.deepEqual(
      config.sources.map((s) => s.name),
      ['epayco', 'mercadopago', 'stripe'],
    );
    const stripe = config.sources.find((s) => s.name === 'stripe');
    assert.deepEqual(stripe?.kind === 'stripe' && stripe.secrets, ['whsec_new', 'whsec_old']);
  });

  it('a source the file defines wins over the variable of the same name', async () => {
    const file = path.join(dir, 'file-wins.config.js');
    writeFileSync(file, stripeOnly);
    const config = await loadConfigFile(file, { WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_from_env' });
    assert.equal(config.sources.length, 1);
    const stripe = config.sources[0];
    assert.deepEqual(stripe?.kind === 'stripe' && stripe.secrets, ['whsec_from_file']);
  });

  it('no variables, no extra sources', async () => {
    const file = path.join(dir, 'no-env.config.js');
    writeFileSync(file, stripeOnly);
    assert.deepEqual(
      (await loadConfigFile(file, {})).sources.map((s) => s.name),
      ['stripe'],
    );
  });
});

/**
 * A syntax error in the config said only "could not load …: Transform failed with 1 error:"
 * (tsx's compiler puts the error itself on the next line, which was cut), or, for a JavaScript
 * file Node loads, "Unexpected token ';'" without the line (Node keeps it in the stack).
 */
describe('a config file with a syntax error', () => {
  it('webpig start names the file, line and column and what is wrong: exit 2, one line', () => {
    const cases: Array<[string, string, string]> = [
      ['ts', 'export default {\n  sources: [],\n  pipelines: [] ;\n};\n', ':3:16: Expected "}" but found ";"'],
      ['js', 'module.exports = { sources: [], pipelines: [] ;\n', ':1:46: Expected "}" but found ";"'],
    ];
    for (const [extension, text, where] of cases) {
      const project = mkdtempSync(path.join(dir, `syntax-${extension}-`));
      const file = path.join(project, `webpig.config.${extension}`);
      writeFileSync(file, text);
      const result = runCli(['start', '--port', '0'], { cwd: project });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stderr, `webpig: could not load ${file}: syntax error at ${file}${where}\n`);
    }
  });

  it("a JavaScript file's SyntaxError from Node: the file and line from its stack", () => {
    let thrown: unknown;
    try {
      runInThisContext('module.exports = { sources: [] ;', { filename: '/srv/shop/webpig.config.js' });
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof SyntaxError);
    assert.equal(importFailure(thrown), "syntax error at /srv/shop/webpig.config.js:1: Unexpected token ';'");
  });
});
