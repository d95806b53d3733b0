/**
 * docs/deploy.md's systemd unit, as written, checked by systemd itself (`systemd-analyze verify`):
 * every directive known and well-formed, and its ExecStart an executable — the unit is pointed at
 * a project folder whose node_modules/.bin/webpig is this checkout's bin, as `npm install` makes it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');
const docs = readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');
const work = mkdtempSync(path.join(tmpdir(), 'webpig-systemd-'));
after(() => rmSync(work, { recursive: true, force: true }));

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const skip = analyze.status === 0 ? false : 'needs systemd-analyze (the systemd package) on PATH';

describe("docs/deploy.md's systemd unit", { skip }, () => {
  it('systemd-analyze verify finds nothing to say about it', () => {
    const at = docs.indexOf('`/etc/systemd/system/webpig.service`:');
    assert.ok(at >= 0, 'docs/deploy.md names the unit file');
    const unit = /```ini\n([\s\S]*?)```/.exec(docs.slice(at))?.[1] ?? '';
    assert.ok(unit.includes('ExecStart=/srv/webpig/node_modules/.bin/webpig start'), 'the unit block follows');
    const project = path.join(work, 'srv-webpig');
    mkdirSync(path.join(project, 'node_modules/.bin'), { recursive: true });
    symlinkSync(path.join(ROOT, 'bin/webpig.js'), path.join(project, 'node_modules/.bin/webpig'));
    const file = path.join(work, 'webpig.service');
    writeFileSync(file, unit.replaceAll('/srv/webpig', project));
    const verified = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal(verified.stderr.trim(), '', 'no warning');
  });
});
