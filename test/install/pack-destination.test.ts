/**
 * `npm pack --pack-destination DIR` with a DIR that does not exist: npm writes the tarball only
 * after `prepack`, so it used to fail after the build and after `prepack` had left `prepare` out
 * of the checkout's package.json, which stayed so (with a backup file beside it) until the next
 * pack. Now prepack stops first, says what to do, and leaves the checkout as it was.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, ROOT, run } from './project.js';

const work = mkdtempSync(path.join(tmpdir(), 'webpig-pack-destination-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack --pack-destination to a folder that is not there', () => {
  it('stops before building, names the folder and the fix, and leaves package.json as it was', { timeout: 60_000 }, async () => {
    const manifestBefore = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const missing = path.join(work, 'not-created');
    const packed = await run('npm', ['pack', '--pack-destination', missing], { cwd: ROOT, env: childEnv() });
    assert.notEqual(packed.status, 0);
    assert.match(
      packed.stderr,
      new RegExp(
        `webpig: npm pack --pack-destination ${missing}: no such folder; create it first \\(mkdir -p ${missing}\\)\\. Nothing was built or changed\\.`,
      ),
    );
    assert.doesNotMatch(packed.stdout, /vite|tsc -p/, 'nothing was built');
    assert.equal(readFileSync(path.join(ROOT, 'package.json'), 'utf8'), manifestBefore, 'package.json keeps its `prepare`');
    assert.equal(existsSync(path.join(ROOT, '.package.json.before-pack')), false, 'no backup left beside it');
    assert.equal(existsSync(missing), false);
  });
});
