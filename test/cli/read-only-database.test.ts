import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli } from '../helpers/cli.js';
import { readOnlyView } from '../helpers/read-only-mount.js';
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
