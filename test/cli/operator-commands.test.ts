/**
 * The operator commands as a user runs them (a child process on a real SQLite file): read-only
 * commands never create a database and need no webhook secrets; one line per error and exit
 * codes 2 (usage) / 1 (failure) everywhere; flags history and reasons; times and money in the
 * configured zone and currency whatever the shell's TZ; --json; tokens' scope errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { delivery, T0 } from '../helpers/engine-fixtures.js';
import { postgresSkip, queryIn, schemaUrl, withTestSchema } from '../helpers/postgres.js';

// Probed before any test is registered (see cli.test.ts).
const pgSkip = await postgresSkip();

const root = mkdtempSync(path.join(tmpdir(), 'webpig-ops-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The shell of an operator far from Bogotá: nothing here may leak into what is shown. */
const FOREIGN_SHELL = { TZ: 'Asia/Tokyo', LANG: 'ja_JP.UTF-8', LC_ALL: 'ja_JP.UTF-8' };

/** A directory with its own config and database file. */
function project(config: string): { dir: string; db: string; file: string; run: (...args: string[]) => CliResult } {
  const dir = mkdtempSync(path.join(root, 'p-'));
  writeFileSync(path.join(dir, 'webpig.config.js'), config);
  const file = path.join(dir, 'webpig.db');
  return { dir, db: `sqlite:${file}`, file, run: (...args) => runCli(args, { cwd: dir, env: FOREIGN_SHELL }) };
}

/** A config whose webhook source reads a secret the operator's shell does not have. */
const CONFIG_WITH_UNSET_SECRET = `export default {
  database: 'sqlite:./webpig.db',
  sources: [{ name: 'shop', kind: 'custom', secrets: [process.env.SHOP_SECRET_NOT_SET_ANYWHERE], paths: { eventId: 'id' } }],
  pipelines: [{ name: 'p', match: () => true, stages: [{ name: 'invoice', run: async () => undefined }] }],
  flags: [{ key: 'DIAN', description: 'DIAN emission' }],
  retention: { succeededAfterDays: 90 },
};
`;

async function withDb<T>(db: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  await store.migrate();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function oneLine(result: CliResult, exitCode: number, pattern: RegExp, what: string): void {
  assert.equal(result.status, exitCode, `${what}: exit ${exitCode}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '', `${what}: nothing on stdout`);
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, `${what}: one line: ${result.stderr}`);
  assert.match(result.stderr, /^webpig: /, what);
  assert.doesNotMatch(result.stderr, /webpig: webpig:/, `${what}: one prefix`);
  assert.match(result.stderr, pattern, what);
}

describe('read-only commands', () => {
  const schemas = withTestSchema();
  it('on a missing SQLite file: exit 1 naming the path, and no file is created', () => {
    const p = project(CONFIG_WITH_UNSET_SECRET);
    for (const args of [
      ['events'],
      ['events', 'show', '1'],
      ['flags'],
      ['flags', 'history', 'DIAN'],
      ['tokens', 'list'],
      ['purge', '--dry-run'],
    ]) {
      const result = p.run(...args);
      oneLine(
        result,
        1,
        new RegExp(`no database at ${p.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(nothing was created\\)`),
        args.join(' '),
      );
      assert.equal(existsSync(p.file), false, `${args.join(' ')} created no database`);
    }
  });

  it('nor do the commands that change stored rows: a mistyped --db is not a new, empty database', () => {
    const p = project(CONFIG_WITH_UNSET_SECRET);
    for (const args of [
      ['retry', '1'],
      ['retry', '--status', 'dead', '--reason', 'DIAN is back'],
      ['flags', 'set', 'DIAN', 'on', '--reason', 'DIAN is back'],
      ['tokens', 'revoke', '1'],
      ['purge'],
      ['reconcile', '--source', 'shop', '--since', '1h'],
    ]) {
      const result = p.run(...args);
      oneLine(
        result,
        1,
        new RegExp(`no database at ${p.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(nothing was created\\)`),
        args.join(' '),
      );
      assert.equal(existsSync(p.file), false, `${args.join(' ')} created no database`);
    }
  });

  it('on an empty SQLite file (no webpig tables): exit 1, and no table is created', () => {
    const p = project('export default { sources: [], pipelines: [] };\n');
    writeFileSync(p.file, '');
    oneLine(
      p.run('events'),
      1,
      /sqlite:.*webpig\.db holds no webpig data \(nothing was created\); check --db, or run webpig migrate/,
      'events',
    );
    const tables = runCli(['--db', p.db, 'migrate'], { cwd: p.dir });
    assert.match(tables.stdout, /^applied \d+ migration/, 'the file was still empty: migrate had everything to apply');
  });

  it('on a PostgreSQL schema webpig never set up: exit 1, and the schema is not created', { skip: pgSkip }, async () => {
    const missing = schemas.name();
    const p = project('export default { sources: [], pipelines: [] };\n');
    const result = runCli(['--db', schemaUrl(missing), 'events'], { cwd: p.dir });
    oneLine(result, 1, /holds no webpig data \(nothing was created\)/, 'events on postgres');
    assert.deepEqual(await queryIn('public', 'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [missing]), []);
  });

  it('need no webhook secret: they read the config without its sources; start still needs them', async () => {
    const p = project(CONFIG_WITH_UNSET_SECRET);
    await withDb(p.db, async (store) => {
      await store.insertEvent(delivery({ summary: { amount: 1_200_000, currency: 'COP', customer: { name: 'Ana' } } }));
    });
    for (const args of [['events'], ['events', 'show', '1'], ['flags'], ['flags', 'history', 'DIAN'], ['tokens', 'list']]) {
      const result = p.run(...args);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    assert.match(p.run('flags').stdout, /^on\s+DIAN\s+DIAN emission \(its default: not stored until webpig starts\)$/m);
    const flagsNow = await withDb(p.db, (store) => store.listFlags());
    assert.deepEqual(flagsNow, [], '`webpig flags` wrote no flag');
    const start = p.run('start', '--port', '0');
    assert.equal(start.status, 2, 'serving webhooks does need the secret');
    assert.match(start.stderr, /sources\.0\.secrets\.0/);
  });
});

describe('times, money and --json', () => {
  const seed = async (db: string) =>
    withDb(db, async (store) => {
      const { event } = await store.insertEvent(
        delivery({
          receivedAt: new Date(T0),
          occurredAt: new Date(T0),
          summary: { amount: 1_200_000, currency: 'COP', customer: { name: 'Ana' } },
        }),
      );
      return event.id;
    });

  it('default: America/Bogota and pesos as written in Colombia, whatever TZ and LANG say', async () => {
    const p = project('export default { sources: [], pipelines: [] };\n');
    const id = await seed(p.db);
    const list = p.run('events');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /2026-01-15 07:00:00 -05:00/, 'T0 is 12:00 UTC, 07:00 in Bogotá');
    assert.match(list.stdout, /COP 1\.200\.000/);
    const show = p.run('events', 'show', String(id));
    assert.match(show.stdout, /received 2026-01-15 07:00:00 -05:00/);
    assert.match(show.stdout, /amount COP 1\.200\.000/);
  });

  it("the config's dashboard time zone, currency and locale", async () => {
    const p = project(
      "export default { sources: [], pipelines: [], dashboard: { timeZone: 'Europe/Madrid', currency: 'USD', locale: 'en' } };\n",
    );
    await withDb(p.db, (store) => store.insertEvent(delivery({ receivedAt: new Date(T0), summary: { amount: 1500.5 } })));
    const list = p.run('events');
    assert.match(list.stdout, /2026-01-15 13:00:00 \+01:00/);
    assert.match(list.stdout, /USD 1,500\.50/, 'an amount without its own currency is in the configured one');
  });

  it('--json is ISO-8601 UTC and plain numbers, for machines', async () => {
    const p = project('export default { sources: [], pipelines: [] };\n');
    const id = await seed(p.db);
    const list = JSON.parse(p.run('events', '--json').stdout) as Array<{ id: number; receivedAt: string; summary: { amount: number } }>;
    assert.deepEqual([list[0]?.id, list[0]?.receivedAt, list[0]?.summary.amount], [id, '2026-01-15T12:00:00.000Z', 1_200_000]);
    const shown = JSON.parse(p.run('events', 'show', String(id), '--json').stdout) as { event: { id: number } };
    assert.equal(shown.event.id, id);
    assert.deepEqual(JSON.parse(p.run('tokens', 'list', '--json').stdout), []);
    assert.deepEqual(JSON.parse(p.run('flags', '--json').stdout), []);
  });
});

describe('flags', () => {
  it('set requires --reason (exit 2, nothing changed); history shows when, who, from, to and why', async () => {
    const p = project("export default { sources: [], pipelines: [], flags: [{ key: 'DIAN', description: 'DIAN emission' }] };\n");
    await withDb(p.db, async () => undefined);
    oneLine(p.run('flags', 'set', 'DIAN', 'off'), 2, /required option '--reason <text>' not specified/, 'no reason');
    oneLine(p.run('flags', 'set', 'DIAN', 'off', '--reason', '  '), 2, /--reason must say why/, 'blank reason');
    assert.deepEqual(await withDb(p.db, (store) => store.listFlags()), [], 'a refused set writes nothing');
    assert.equal(p.run('flags', 'history', 'DIAN').stdout, 'DIAN has never been changed (it is on)\n');

    const set = p.run('flags', 'set', 'DIAN', 'off', '--reason', 'DIAN está caída', '--actor', 'ana');
    assert.equal(set.status, 0, set.stderr);
    const history = p.run('flags', 'history', 'DIAN');
    assert.equal(history.status, 0, history.stderr);
    // The OS user who ran it always, the declared name beside it: --actor alone cannot be anyone.
    const osActor = `cli:${userInfo().username}`;
    assert.ok(history.stdout.includes(`on -> off  ${osActor} (as ana)  DIAN está caída`), history.stdout);
    const json = JSON.parse(p.run('flags', 'history', 'DIAN', '--json').stdout) as Array<{
      reason: string;
      actor: string;
      newValue: boolean;
    }>;
    assert.deepEqual(
      json.map((c) => [c.actor, c.newValue, c.reason]),
      [[`${osActor} (as ana)`, false, 'DIAN está caída']],
    );
    oneLine(p.run('flags', 'history', 'NOPE'), 1, /no flag "NOPE"/, 'history of an unknown flag');
  });
});

describe('tokens', () => {
  it('create says why a scope is refused (exit 2) and creates nothing; revoke of an unknown token is one line, exit 1', async () => {
    const p = project('export default { sources: [], pipelines: [] };\n');
    oneLine(p.run('tokens', 'create', '--name', 'erp'), 2, /--scope is required: give one or more of events:read, .*admin/, 'no scope');
    oneLine(
      p.run('tokens', 'create', '--name', 'erp', '--scope', 'events:write'),
      2,
      /--scope: unknown scope "events:write"; expected one of events:read/,
      'unknown scope',
    );
    assert.equal(existsSync(p.file), false, 'a refused create opened no database');
    const created = p.run('tokens', 'create', '--name', 'erp', '--scope', 'events:read', '--json');
    assert.equal(created.status, 0, created.stderr);
    oneLine(p.run('tokens', 'revoke', '99'), 1, /^webpig: no active token 99 \(see webpig tokens list\)\n$/, 'revoke unknown');
    oneLine(p.run('tokens', 'revoke', 'x'), 2, /the id is a number/, 'revoke a non-number');
  });
});

describe('exit codes', () => {
  it('usage mistakes exit 2, failures exit 1, on every command', async () => {
    const p = project('export default { sources: [], pipelines: [] };\n');
    await withDb(p.db, async () => undefined);
    const usage: string[][] = [
      ['events', '--status', 'exploded'],
      ['events', '--limit', '0'],
      ['events', 'show', 'abc'],
      ['events', '--bogus'],
      ['retry'],
      ['retry', '1', '--status', 'dead'],
      ['retry', '--status', 'dead', '--wait'],
      ['retry', '1', '--timeout', 'soon'],
      ['flags', 'set', 'DIAN', 'maybe', '--reason', 'x'],
      ['flags', 'history'],
      ['tokens', 'create'],
      ['purge', '--bogus'],
      ['migrate', '--bogus'],
      ['start', '--port', 'eighty'],
      ['serve', '--port', '70000'],
      ['worker', '--concurrency', '0'],
      ['demo', '--port', 'x'],
      ['nonsense'],
    ];
    for (const args of usage) {
      const result = p.run(...args);
      assert.equal(result.status, 2, `${args.join(' ')} is a usage mistake: ${result.stderr}`);
      assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, `${args.join(' ')}: one line: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /webpig: webpig:|\n\s+at /);
    }
    const failures: string[][] = [
      ['events', 'show', '424242'],
      ['retry', '424242'],
      ['flags', 'set', 'NOPE', 'on', '--reason', 'x'],
      ['tokens', 'revoke', '7'],
    ];
    for (const args of failures) oneLine(p.run(...args), 1, /./, args.join(' '));
  });
});
