import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { redactDatabaseUrl } from '../../src/core/redaction.js';
import { openStore } from '../../src/store/open.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

describe('openStore', () => {
  it('opens SQLite in memory and on a file (relative or absolute path)', async () => {
    const memory = await openStore('sqlite::memory:');
    assert.equal(memory.dialect, 'sqlite');
    assert.deepEqual(await memory.migrate(), { applied: sqliteMigrations().map((m) => m.name), current: sqliteMigrations().length });
    await memory.close();

    const temp = tempDatabaseDir();
    const previous = process.cwd();
    try {
      const absolute = await openStore(`sqlite:${join(temp.dir, 'abs.db')}`);
      await absolute.migrate();
      await absolute.close();
      process.chdir(temp.dir);
      const relative = await openStore('sqlite:./rel.db');
      await relative.migrate();
      await relative.close();
      const again = await openStore(`sqlite:${join(temp.dir, 'rel.db')}`);
      assert.deepEqual(
        await again.migrate(),
        { applied: [], current: sqliteMigrations().length },
        'the relative path was the working directory',
      );
      await again.close();
    } finally {
      process.chdir(previous);
      temp.remove();
    }
  });

  it('refuses other URLs with one clear line that never shows the password', async () => {
    for (const url of ['mysql://root:hunter2@db.internal/webpig', 'webpig.db', '', 'http://user:s3cret@127.0.0.1/']) {
      await assert.rejects(openStore(url), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'DATABASE_URL_INVALID');
        assert.match(err.message, /^unsupported database URL ".*": use sqlite:\.\/file\.db, sqlite::memory: or postgres:\/\/…$/);
        assert.doesNotMatch(err.message, /hunter2|s3cret/);
        return true;
      });
    }
  });

  it('refuses a SQLite URL that names no file', async () => {
    for (const url of ['sqlite:', 'sqlite://host/x']) {
      await assert.rejects(openStore(url), (err: unknown) => err instanceof ConfigError && err.code === 'DATABASE_URL_INVALID');
    }
  });

  it('names the file and the reason when a SQLite file cannot be opened', async () => {
    const temp = tempDatabaseDir();
    try {
      const notADatabase = join(temp.dir, 'notes.txt');
      writeFileSync(notADatabase, 'these are not the pages you are looking for '.repeat(200));
      for (const [file, reason] of [
        [join(temp.dir, 'missing-folder', 'webpig.db'), /directory does not exist/],
        [notADatabase, /not a database/],
      ] as const) {
        await assert.rejects(openStore(`sqlite:${file}`), (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.code, 'DATABASE_OPEN_FAILED');
          assert.ok(err.message.includes(file));
          assert.match(err.message, reason);
          return true;
        });
      }
    } finally {
      temp.remove();
    }
  });

  it('redacts only the password of a URL', () => {
    assert.equal(redactDatabaseUrl('postgres://app:pa:ss@127.0.0.1:5432/db'), 'postgres://app:***@127.0.0.1:5432/db');
    assert.equal(redactDatabaseUrl('postgres://app:p@ss@127.0.0.1/db'), 'postgres://app:***@127.0.0.1/db', 'an @ in the password');
    assert.equal(redactDatabaseUrl('postgres://app@127.0.0.1/db'), 'postgres://app@127.0.0.1/db');
    assert.equal(redactDatabaseUrl('postgres://127.0.0.1/db?user=x'), 'postgres://127.0.0.1/db?user=x');
    // libpq also takes the password from the query.
    assert.equal(
      redactDatabaseUrl('postgres://app@127.0.0.1/db?password=s3cret&sslmode=require&sslpassword=k3y'),
      'postgres://app@127.0.0.1/db?password=***&sslmode=require&sslpassword=***',
    );
  });
});
