import assert from 'node:assert/strict';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli } from '../helpers/cli.js';
import { readOnlyFile, readOnlyView } from '../helpers/read-only-mount.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/**
 * A SQLite file webpig may read but not write (a read-only mount, a file of another user):
 * SQLite opens it read-only without a word and even grants the write lock, so a server came
 * up, answered /readyz 200 and refused every delivery with 503 COMMIT_FAILED.
 */

const temp = tempDatabaseDir('webpig-cli-read-only-');
writeFileSync(path.join(temp.dir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
// Open on the writable folder for the whole file: it keeps the -shm file SQLite needs to open
// a WAL database through the read-only view.
const writable = SqliteStore.open(`sqlite:${path.join(temp.dir, 'webpig.db')}`);
await writable.migrate();
const view = readOnlyView(temp.dir);
after(async () => {
  await writable.close();
  if (!('skip' in view)) view.remove();
  temp.remove();
});

describe('commands on a read-only SQLite file', { skip: 'skip' in view && view.skip }, () => {
  const dir = 'skip' in view ? temp.dir : view.dir;
  const db = `sqlite:${path.join(dir, 'webpig.db')}`;

  for (const command of [['start', '--port', '0'], ['serve', '--port', '0'], ['worker'], ['migrate']]) {
    it(`${command[0]} refuses to start: exit 1, one line naming the file`, () => {
      const result = runCli(['--db', db, ...command], { cwd: dir });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^webpig: the database file .*webpig\.db is read-only: /);
    });
  }

  it('demo refuses to start before its sandbox or server: exit 1, one line naming the file', () => {
    const result = runCli(['demo', '--port', '0', '--no-traffic', '--db', path.join(dir, 'webpig.db')], { cwd: dir });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '', 'nothing started, nothing printed');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^webpig: the database file .*webpig\.db is read-only: /);
  });

  it('commands that only read still work', () => {
    const result = runCli(['--db', db, 'events'], { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /no events/);
  });
});

/**
 * The demo's own database can be written, but the sandbox's, `<db>.sandbox.db` beside the path
 * given, cannot: the sandbox process died on SQLite's "unable to open database file" (two
 * lines, no file named), or the demo stopped on "attempt to write a readonly database".
 */
describe('demo with a sandbox database it cannot write', () => {
  it('a --db symlink in a read-only folder: exit 1 before anything starts, one line naming the sandbox file and its folder', (t) => {
    const data = tempDatabaseDir('webpig-demo-data-');
    const links = tempDatabaseDir('webpig-demo-links-');
    // The demo's database itself is writable (the link points into a writable folder)...
    symlinkSync(path.join(data.dir, 'demo.db'), path.join(links.dir, 'demo.db'));
    // ...but its sandbox database would be created beside the link, in a read-only folder.
    const linksView = readOnlyView(links.dir);
    t.after(() => {
      if (!('skip' in linksView)) linksView.remove();
      data.remove();
      links.remove();
    });
    if ('skip' in linksView) return t.skip(linksView.skip);
    const sandboxFile = path.join(linksView.dir, 'demo.db.sandbox.db');

    const result = runCli(['demo', '--port', '0', '--no-traffic', '--db', path.join(linksView.dir, 'demo.db')], { cwd: data.dir });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '', 'nothing started, nothing printed');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.equal(
      result.stderr,
      `webpig: the demo's sandbox database ${sandboxFile} cannot be created: its folder ${linksView.dir} cannot be written (EROFS: a read-only file system); ` +
        'let the user running webpig write that folder, or give the demo a --db in a folder it can write\n',
    );
  });

  it('a read-only sandbox file: exit 1 before anything starts, one line naming it', (t) => {
    const temp = tempDatabaseDir('webpig-demo-sandbox-ro-');
    const sandboxFile = path.join(temp.dir, 'demo.db.sandbox.db');
    SandboxStore.open(sandboxFile).close();
    const readOnly = readOnlyFile(sandboxFile);
    // Hooks run in the order they were added: the mount goes before its folder.
    t.after(() => {
      if (!('skip' in readOnly)) readOnly.remove();
      temp.remove();
    });
    if ('skip' in readOnly) return t.skip(readOnly.skip);

    const result = runCli(['demo', '--port', '0', '--no-traffic', '--db', path.join(temp.dir, 'demo.db')], { cwd: temp.dir });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '', 'nothing started, nothing printed');
    assert.equal(
      result.stderr,
      `webpig: the demo's sandbox database ${sandboxFile} cannot be written (EROFS: a read-only file system); ` +
        'let the user running webpig write the file and its folder, or give the demo a --db in a folder it can write\n',
    );
    assert.equal(existsSync(`${sandboxFile}-wal`), false, 'the sandbox database was not opened');
  });
});
