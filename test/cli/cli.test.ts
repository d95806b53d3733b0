import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { postgresMigrations } from '../../src/store/postgres/migrate.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { runCli } from '../helpers/cli.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';

// Probed before any test is registered: a top-level await between describes would let the
// root test (and its after hook) finish early.
const pgSkip = await postgresSkip();
const dir = mkdtempSync(path.join(tmpdir(), 'webpig-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('webpig CLI basics', () => {
  it('prints help and version', () => {
    const help = runCli(['--help'], { cwd: dir });
    assert.equal(help.status, 0);
    for (const command of ['start', 'serve', 'worker', 'migrate', 'events', 'retry', 'flags', 'tokens', 'demo']) {
      assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`), `help lists ${command}`);
    }
    const version = runCli(['--version'], { cwd: dir });
    assert.equal(version.status, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('a wrong flag is one clear line and a non-zero exit, no stack', () => {
    const result = runCli(['--bogus'], { cwd: dir });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown option '--bogus'/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a bad database URL is one clear line, exit 2, and never echoes a password', () => {
    const result = runCli(['--db', 'mysql://root:hunter2@db/x', 'migrate'], { cwd: dir });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^webpig: unsupported database URL/);
    assert.doesNotMatch(result.stderr, /hunter2/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  it('an unreachable PostgreSQL is one line, not a stack', () => {
    const result = runCli(['--db', 'postgres://postgres@127.0.0.1:1/test', 'migrate'], { cwd: dir });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /^webpig: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('commands that need a config say so when there is none', () => {
    const result = runCli(['--db', `sqlite:${path.join(dir, 'none.db')}`, 'start'], { cwd: dir });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no webpig\.config\.ts/);
  });

  it('a config with a bad field names the field', () => {
    const cfgDir = mkdtempSync(path.join(dir, 'cfg-'));
    writeFileSync(
      path.join(cfgDir, 'webpig.config.js'),
      'export default { sources: [], pipelines: [], server: { port: "eighty" } };\n',
    );
    const result = runCli(['--db', `sqlite:${path.join(cfgDir, 'x.db')}`, 'start'], { cwd: cfgDir });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /server\.port: /);
  });
});

/** What `webpig migrate` prints after applying every bundled migration to an empty database. */
function appliedLine(names: string[]): RegExp {
  return new RegExp(`applied ${names.length} migration\\(s\\): ${names.join(', ')}; schema is at version ${names.length}\n`);
}
const sqliteNames = sqliteMigrations().map((m) => m.name);
const postgresNames = postgresMigrations().map((m) => m.name);

describe('webpig migrate on SQLite', () => {
  it('creates the schema on an empty file; running it twice changes nothing', async () => {
    const file = path.join(dir, 'migrate.db');
    const first = runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: dir });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, appliedLine(sqliteNames));
    const second = runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: dir });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`nothing to apply; schema is at version ${sqliteNames.length}`));
    const store = await openStore(`sqlite:${file}`);
    try {
      assert.deepEqual((await store.migrate()).applied, []);
      assert.equal((await store.listEvents({})).items.length, 0);
    } finally {
      await store.close();
    }
  });

  it('WEBPIG_DATABASE_URL is used when no --db is given', () => {
    const file = path.join(dir, 'env.db');
    const result = runCli(['migrate'], { cwd: dir, env: { WEBPIG_DATABASE_URL: `sqlite:${file}` } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, appliedLine(sqliteNames));
  });
});

describe('webpig migrate on PostgreSQL', { skip: pgSkip }, () => {
  const schemas = withTestSchema();
  it('creates the schema in an empty PostgreSQL schema; running it twice changes nothing', async () => {
    const { url } = await schemas.create();
    const first = runCli(['--db', url, 'migrate'], { cwd: dir });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, appliedLine(postgresNames));
    const second = runCli(['--db', url, 'migrate'], { cwd: dir });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /nothing to apply/);
  });
});

describe('webpig flags', () => {
  it('sets a flag, records who and why, and refuses a bad value without changing anything', async () => {
    const file = path.join(dir, 'flags.db');
    const db = `sqlite:${file}`;
    const seed = await openStore(db);
    await seed.migrate();
    await seed.ensureFlags([{ key: 'DIAN', description: 'DIAN emission', defaultValue: true }], new Date());
    await seed.close();

    const bad = runCli(['--db', db, 'flags', 'set', 'DIAN', 'maybe'], { cwd: dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /must be on or off/);

    const unknown = runCli(['--db', db, 'flags', 'set', 'NOPE', 'off'], { cwd: dir });
    assert.notEqual(unknown.status, 0);

    const ok = runCli(['--db', db, 'flags', 'set', 'DIAN', 'off', '--reason', 'DIAN is down', '--actor', 'ana'], { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    const store = await openStore(db);
    try {
      assert.equal((await store.getFlag('DIAN'))?.value, false);
      const history = await store.flagHistory('DIAN');
      assert.equal(history.items.length, 1);
      assert.equal(history.items[0]?.actor, 'ana');
      assert.equal(history.items[0]?.reason, 'DIAN is down');
      const audit = await store.listAudit({ action: 'flag.set' });
      assert.equal(audit.items.length, 1);
    } finally {
      await store.close();
    }
  });
});
