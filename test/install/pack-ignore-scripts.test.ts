/**
 * `npm pack --ignore-scripts` (or `npm pack` with ignore-scripts=true in an .npmrc, a common
 * hardening) runs none of webpig's scripts: prepack neither builds dist/ nor leaves `prepare`
 * out of the tarball's package.json. That `prepare` was `npm run build`: run in the installed
 * copy (a package manager that runs a tarball's `prepare`, or a user who approved it after
 * `--strict-allow-scripts` stopped on it) it failed, since the copy has no tsconfig.json and no
 * devDependencies. It now builds only in a checkout or a git clone, and does nothing elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, ROOT, run } from './project.js';

const work = mkdtempSync(path.join(tmpdir(), 'webpig-pack-ignore-scripts-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack --ignore-scripts', () => {
  it('the tarball keeps `prepare`, and running it in the installed copy changes nothing and exits 0', { timeout: 120_000 }, async () => {
    const manifestBefore = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, env: childEnv() });
    assert.equal(packed.status, 0, packed.stderr);
    assert.equal(readFileSync(path.join(ROOT, 'package.json'), 'utf8'), manifestBefore, 'the checkout is as it was');
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, packed.stdout);
    const unpacked = await run('tar', ['-xzf', path.join(work, tarball), '-C', work], { cwd: work });
    assert.equal(unpacked.status, 0, unpacked.stderr);

    const copy = path.join(work, 'package');
    const manifest = JSON.parse(readFileSync(path.join(copy, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    assert.ok(manifest.scripts?.prepare, 'with scripts ignored, nothing left `prepare` out');
    assert.equal(existsSync(path.join(copy, 'tsconfig.json')), false, 'a packed copy has no tsconfig.json');
    const built = statSync(path.join(copy, 'dist/src/index.js')).mtimeMs;

    // As npm would run it in node_modules/webpig: no devDependencies, nothing to build with.
    const prepared = await run('npm', ['run', 'prepare'], { cwd: copy, env: childEnv() });
    assert.equal(prepared.status, 0, `${prepared.stdout}\n${prepared.stderr}`);
    assert.equal(statSync(path.join(copy, 'dist/src/index.js')).mtimeMs, built, 'dist/ is left as packed');
  });

  it('`prepare` still builds in a checkout (tsconfig.json beside package.json)', async () => {
    const checkout = path.join(work, 'checkout');
    mkdirSync(path.join(checkout, 'scripts'), { recursive: true });
    copyFileSync(path.join(ROOT, 'scripts/prepare.mjs'), path.join(checkout, 'scripts/prepare.mjs'));
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // The checkout's own `prepare`, with a build that only leaves a mark.
    const build = `node -e "require('fs').writeFileSync('built', 'yes')"`;
    writeFileSync(path.join(checkout, 'package.json'), JSON.stringify({ name: 'checkout', scripts: { prepare: scripts.prepare, build } }));
    writeFileSync(path.join(checkout, 'tsconfig.json'), '{}');
    const prepared = await run('npm', ['run', 'prepare'], { cwd: checkout, env: childEnv() });
    assert.equal(prepared.status, 0, `${prepared.stdout}\n${prepared.stderr}`);
    assert.equal(readFileSync(path.join(checkout, 'built'), 'utf8'), 'yes');
  });

  it('README.md says what `npm pack --ignore-scripts` leaves and how to pack instead', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /`npm pack --ignore-scripts=false`/);
  });
});
