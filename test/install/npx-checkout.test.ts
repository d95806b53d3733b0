/**
 * `npx webpig …` in a checkout, as the Quick start runs it after `npm install`: npm exec links the
 * checkout into its own cache and runs its `prepare` there (npm_command=exec). That second build
 * made the first `npx webpig demo` sit silent for a minute, and a Ctrl-C during it broke every
 * later `npx webpig` (npm's cache entry was left without its package.json). With dist/ built,
 * `prepare` under exec builds nothing; without it, it still builds.
 *
 * A scratch checkout with the real scripts/prepare.mjs and a `build` that only leaves a mark; a
 * fresh npm cache of the test's own, so the developer's ~/.npm is neither read nor changed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, ROOT, run } from './project.js';

const work = mkdtempSync(path.join(tmpdir(), 'webpig-npx-checkout-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A checkout named `npx-checkout-probe` whose bin prints "ran", with or without its dist/ built. */
function scratchCheckout(name: string, withDist: boolean): string {
  const checkout = path.join(work, name);
  mkdirSync(path.join(checkout, 'scripts'), { recursive: true });
  mkdirSync(path.join(checkout, 'bin'));
  copyFileSync(path.join(ROOT, 'scripts/prepare.mjs'), path.join(checkout, 'scripts/prepare.mjs'));
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const build = `node -e "require('fs').writeFileSync('built', 'yes')"`;
  writeFileSync(
    path.join(checkout, 'package.json'),
    JSON.stringify({
      name: 'npx-checkout-probe',
      version: '1.0.0',
      type: 'module',
      bin: { 'npx-checkout-probe': 'bin/probe.js' },
      scripts: { prepare: scripts.prepare, build },
    }),
  );
  writeFileSync(path.join(checkout, 'tsconfig.json'), '{}');
  writeFileSync(path.join(checkout, 'bin/probe.js'), '#!/usr/bin/env node\nconsole.log("ran");\n', { mode: 0o755 });
  if (withDist) {
    mkdirSync(path.join(checkout, 'dist/src/cli'), { recursive: true });
    writeFileSync(path.join(checkout, 'dist/src/cli/main.js'), '');
  }
  return checkout;
}

function npx(checkout: string, cache: string) {
  return run('npx', ['npx-checkout-probe'], {
    cwd: checkout,
    env: childEnv({ npm_config_cache: path.join(work, cache), npm_config_update_notifier: 'false' }),
    timeoutMs: 120_000,
  });
}

describe('npx in a checkout', () => {
  it('runs the bin without building again when dist/ is built', { timeout: 150_000 }, async () => {
    const checkout = scratchCheckout('built', true);
    const ran = await npx(checkout, 'cache-built');
    assert.equal(ran.status, 0, `${ran.stdout}\n${ran.stderr}`);
    assert.match(ran.stdout, /^ran$/m);
    assert.equal(existsSync(path.join(checkout, 'built')), false, 'npx ran the build again');
  });

  it('still builds when dist/ is missing', { timeout: 150_000 }, async () => {
    const checkout = scratchCheckout('unbuilt', false);
    const ran = await npx(checkout, 'cache-unbuilt');
    assert.equal(ran.status, 0, `${ran.stdout}\n${ran.stderr}`);
    assert.equal(readFileSync(path.join(checkout, 'built'), 'utf8'), 'yes');
  });
});
