import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// scripts/check-import-cycles.mjs (run by npm test) keeps the layers pointing down: these run
// it on the repository and on small trees that break one rule each.
const script = fileURLToPath(new URL('../../scripts/check-import-cycles.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'webpig-layers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function runCheck(cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [script], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A tree of src/ modules: path → source. */
function tree(name: string, modules: Record<string, string>): string {
  const root = path.join(scratch, name);
  for (const [file, source] of Object.entries(modules)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), source);
  }
  return root;
}

test('the repository has no import that points up the layers', () => {
  const result = runCheck(repoRoot);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /none of their \d+ relative imports points up the layers/);
});

test('core importing the server fails, naming the import, its line and the rule', () => {
  const root = tree('core-up', {
    'src/core/config.ts': "export const x = 1;\nimport type { AuthConfig } from '../server/auth/config.js';\n",
    'src/server/auth/config.ts': 'export type AuthConfig = { roles: string[] };\n',
  });
  const result = runCheck(root);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /layer rule broken: src\/core\/config\.ts:2 imports '\.\.\/server\/auth\/config\.js' \(src\/server\/auth\/config\.ts\), but core imports only core/,
  );
  assert.match(result.stderr, /move the shared piece down \(into core\) or the composition up/);
});

test('a dynamic import up the layers counts: the demo importing the CLI fails', () => {
  const root = tree('demo-up', {
    'src/demo/run-demo.ts': "export const start = () => import('../cli/service.js');\n",
    'src/cli/service.ts': 'export const startService = () => 1;\n',
  });
  const result = runCheck(root);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /src\/demo\/run-demo\.ts:1 imports '\.\.\/cli\/service\.js'.*but demo never imports cli/);
});

test('the server importing the dashboard fails; the composition above both may import them', () => {
  const root = tree('server-up', {
    'src/server/app.ts': "import { dashboardPlugin } from '../dashboard/plugin.js';\nexport const app = dashboardPlugin;\n",
    'src/dashboard/plugin.ts': 'export const dashboardPlugin = 1;\n',
    'src/service/app.ts': "import { dashboardPlugin } from '../dashboard/plugin.js';\nexport const app = dashboardPlugin;\n",
  });
  const result = runCheck(root);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /src\/server\/app\.ts:1 imports '\.\.\/dashboard\/plugin\.js'.*but server never imports dashboard/);
  assert.doesNotMatch(result.stderr, /src\/service\/app\.ts/);
});

test('an example reaching past src/index.ts into an internal module fails; the public API is allowed', () => {
  const root = tree('example-in', {
    'src/index.ts': "export { HttpError } from './core/http-errors.js';\n",
    'src/core/http-errors.ts': 'export class HttpError extends Error {}\n',
    'examples/shop/plugin.ts':
      "import { HttpError } from '../../src/index.js';\nimport { HttpError as Inner } from '../../src/core/http-errors.js';\nexport const errors = [HttpError, Inner];\n",
  });
  const result = runCheck(root);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /layer rule broken: examples\/shop\/plugin\.ts:2 imports '\.\.\/\.\.\/src\/core\/http-errors\.js' \(src\/core\/http-errors\.ts\), but examples import only the public API \(src\/index\.ts\)/,
  );
  assert.doesNotMatch(result.stderr, /plugin\.ts:1 /);
  assert.match(result.stderr, /exported from src\/index\.ts/);
});

test('the config stays below the areas that receive it: config importing the server, or the sources importing config, fails', () => {
  const root = tree('config-up', {
    'src/config/resolve.ts': "import type { ApiPluginOptions } from '../server/api/plugin.js';\nexport type X = ApiPluginOptions;\n",
    'src/server/api/plugin.ts':
      "import type { ResolvedConfig } from '../../config/types.js';\nexport type ApiPluginOptions = ResolvedConfig;\n",
    'src/config/types.ts': 'export type ResolvedConfig = { database?: string };\n',
    'src/sources/stripe.ts': "import type { ResolvedConfig } from '../config/types.js';\nexport type S = ResolvedConfig;\n",
  });
  const result = runCheck(root);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /src\/config\/resolve\.ts:1 imports '\.\.\/server\/api\/plugin\.js'.*but config never imports engine, server/,
  );
  assert.match(result.stderr, /src\/sources\/stripe\.ts:1 imports '\.\.\/config\/types\.js'.*but sources never import config/);
  assert.doesNotMatch(result.stderr, /layer rule broken: src\/server\/api\/plugin\.ts/, 'the server may read the config types');
});
