import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { postgresMigrations } from '../../src/store/postgres/migrate.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { DEFAULT_CONCURRENCY } from '../../src/engine/worker.js';
import { runCli, startCli } from '../helpers/cli.js';
import { sendDelivery, signStripe, stripeEvent } from '../helpers/signing.js';
import { postgresSkip, queryIn, withTestSchema } from '../helpers/postgres.js';

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
    // The default the worker really runs with, not a stale number.
    for (const command of ['start', 'worker']) {
      const commandHelp = runCli([command, '--help'], { cwd: dir });
      assert.match(commandHelp.stdout.replace(/\s+/g, ' '), new RegExp(`else ${DEFAULT_CONCURRENCY}\\)`), `${command} --help`);
    }
    const version = runCli(['--version'], { cwd: dir });
    assert.equal(version.status, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('a wrong flag, command or missing argument is one clear line and a non-zero exit, no stack', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /^webpig: unknown option '--bogus' \(see webpig --help\)$/],
      [['migrate', '--bogus'], /^webpig: unknown option '--bogus'/],
      [['frobnicate'], /^webpig: unknown command 'frobnicate'/],
      [['--db'], /^webpig: option '--db <url>' argument missing/],
      // A global option after the command: where it goes, not only that it is unknown.
      [
        ['events', '--db', 'sqlite:./webpig.db'],
        /^webpig: unknown option '--db': --db is a global option, so it goes before the command: webpig --db URL <command> … \(see webpig --help\)$/,
      ],
      [
        ['flags', '--config=webpig.config.ts'],
        /^webpig: unknown option '--config=webpig\.config\.ts': --config is a global option, so it goes before/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const result = runCli(args, { cwd: dir });
      assert.notEqual(result.status, 0, args.join(' '));
      assert.equal(result.stdout, '', 'nothing on stdout');
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr.trim(), pattern);
    }
  });

  it('a bad database URL is one clear line, exit 2, and never echoes a password', () => {
    const result = runCli(['--db', 'mysql://root:hunter2@db/x', 'migrate'], { cwd: dir });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^webpig: unsupported database URL/);
    assert.doesNotMatch(result.stderr, /hunter2/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  it('a bad PostgreSQL schema name in the URL is a usage error: one line, exit 2', () => {
    const result = runCli(['--db', 'postgres://ana@127.0.0.1:1/test?schema=Bad', 'migrate'], { cwd: dir });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(
      result.stderr,
      'webpig: database schema "Bad" must be lower-case letters, digits and _ (at most 63, not starting with a digit)\n',
    );
  });

  it('an unreachable PostgreSQL is one line naming where, never the password', () => {
    const result = runCli(['--db', 'postgres://ana:hunter2@127.0.0.1:1/test', 'migrate'], { cwd: dir });
    assert.notEqual(result.status, 0);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^webpig: cannot connect to PostgreSQL at postgres:\/\/ana:\*\*\*@127\.0\.0\.1:1\/test .*ECONNREFUSED/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  it("nor a password given in the URL's query", () => {
    const result = runCli(['--db', 'postgres://ana@127.0.0.1:1/test?password=hunter2&sslpassword=k3y', 'events'], { cwd: dir });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^webpig: cannot connect to PostgreSQL at postgres:\/\/ana@127\.0\.0\.1:1\/test\?password=\*\*\*&sslpassword=\*\*\* /,
    );
    assert.doesNotMatch(result.stderr, /hunter2|k3y/);
  });

  it('commands that need a config say so when there is none', () => {
    const result = runCli(['--db', `sqlite:${path.join(dir, 'none.db')}`, 'start'], { cwd: dir });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no webpig\.config\.ts/);
  });

  it('a config with a bad field names the field', () => {
    const cfgDir = mkdtempSync(path.join(dir, 'cfg-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [], server: { port: "eighty" } };\n');
    const result = runCli(['--db', `sqlite:${path.join(cfgDir, 'x.db')}`, 'start'], { cwd: cfgDir });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /server\.port: /);
  });

  it('half of ePayco in the environment stops start before anything opens: exit 2, one line naming both variables', () => {
    const cfgDir = mkdtempSync(path.join(dir, 'cfg-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    const file = path.join(cfgDir, 'x.db');
    const result = runCli(['--db', `sqlite:${file}`, 'start', '--port', '0'], { cwd: cfgDir, env: { WEBPIG_EPAYCO_P_KEY: 'k' } });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(
      result.stderr,
      'webpig: WEBPIG_EPAYCO_P_KEY is set but WEBPIG_EPAYCO_CUSTOMER_ID is not: ePayco needs both (or neither, for no ePayco source)\n',
    );
    assert.equal(existsSync(file), false, 'no database was created');
  });

  it('an unknown WEBPIG_LOG_LEVEL stops start and the demo before anything opens: exit 2, one line listing the levels', () => {
    const cfgDir = mkdtempSync(path.join(dir, 'cfg-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    const line = 'webpig: WEBPIG_LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent\n';
    const file = path.join(cfgDir, 'x.db');
    const start = runCli(['--db', `sqlite:${file}`, 'start', '--port', '0'], { cwd: cfgDir, env: { WEBPIG_LOG_LEVEL: 'loud' } });
    assert.equal(start.status, 2, start.stderr);
    assert.equal(start.stderr, line);
    assert.equal(existsSync(file), false, 'start created no database');
    const demoFile = path.join(cfgDir, 'webpig-demo.db');
    const demo = runCli(['demo', '--port', '0'], { cwd: cfgDir, env: { WEBPIG_LOG_LEVEL: 'loud' } });
    assert.equal(demo.status, 2, demo.stderr);
    assert.equal(demo.stderr, line);
    assert.equal(existsSync(demoFile), false, 'the demo created no database');
  });
});

/** Every table, index and trigger of a SQLite file, with the SQL that made it, and each table's row count. */
function sqliteSchema(file: string): { objects: unknown[]; rows: Record<string, number> } {
  const db = new Database(file, { readonly: true });
  try {
    const objects = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all() as Array<{
      type: string;
      name: string;
    }>;
    const rows: Record<string, number> = {};
    for (const { name } of objects.filter((o) => o.type === 'table' && !o.name.startsWith('sqlite_'))) {
      rows[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
    }
    return { objects, rows };
  } finally {
    db.close();
  }
}

/** What `webpig migrate` prints after applying every bundled migration to an empty database. */
function appliedLine(names: string[]): RegExp {
  return new RegExp(`applied ${names.length} migration\\(s\\): ${names.join(', ')}; schema is at version ${names.length}\n`);
}
const sqliteNames = sqliteMigrations().map((m) => m.name);
const postgresNames = postgresMigrations().map((m) => m.name);

describe('webpig migrate on SQLite', () => {
  it('creates the schema on an empty file; running it twice changes nothing', () => {
    const file = path.join(dir, 'migrate.db');
    writeFileSync(file, ''); // an empty file, as `touch` would leave it
    const first = runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: dir });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, appliedLine(sqliteNames));
    const created = sqliteSchema(file);
    assert.ok(
      created.objects.some((o) => (o as { name: string }).name === 'events'),
      'the events table exists',
    );
    assert.deepEqual(created.rows.webpig_migrations, sqliteNames.length);
    const second = runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: dir });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`nothing to apply; schema is at version ${sqliteNames.length}`));
    assert.deepEqual(sqliteSchema(file), created, 'the second run changed no table, index, trigger or row');
  });

  it('refuses a database migrated by a newer webpig with one clear line, and leaves it alone', () => {
    const file = path.join(dir, 'newer.db');
    assert.equal(runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: dir }).status, 0);
    const db = new Database(file);
    db.prepare("INSERT INTO webpig_migrations (version, name, applied_at) VALUES (99, '0099_future', 0)").run();
    db.close();
    const before = sqliteSchema(file);
    const result = runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: dir });
    assert.notEqual(result.status, 0);
    assert.equal(
      result.stderr.trim(),
      `webpig: database schema is at version 99 but this webpig only knows up to ${sqliteNames.length}; upgrade webpig`,
    );
    assert.deepEqual(sqliteSchema(file), before);
  });

  it('WEBPIG_DATABASE_URL is used when no --db is given', () => {
    const file = path.join(dir, 'env.db');
    const result = runCli(['migrate'], { cwd: dir, env: { WEBPIG_DATABASE_URL: `sqlite:${file}` } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, appliedLine(sqliteNames));
  });
});

/** Every column, index and constraint of a PostgreSQL schema, and the migrations recorded in it. */
async function postgresSchema(schema: string): Promise<unknown> {
  return {
    columns: await queryIn(
      schema,
      `SELECT table_name, column_name, data_type, is_nullable, column_default, is_generated, generation_expression
         FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, column_name`,
      [schema],
    ),
    indexes: await queryIn(schema, 'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema]),
    constraints: await queryIn(
      schema,
      `SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
         JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 ORDER BY conname`,
      [schema],
    ),
    migrations: await queryIn(schema, 'SELECT version, name FROM webpig_migrations ORDER BY version'),
  };
}

describe('webpig migrate on PostgreSQL', { skip: pgSkip }, () => {
  const schemas = withTestSchema();
  it('a database that does not exist yet: the message says to create it, and how (webpig creates only its tables)', async () => {
    const { url } = await schemas.create();
    const missing = new URL(url);
    missing.pathname = '/webpig_not_created_yet';
    const result = runCli(['--db', missing.toString(), 'migrate'], { cwd: dir });
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /^webpig: cannot connect to PostgreSQL at postgres:\/\/\S+\/webpig_not_created_yet\S* \(schema \w+\): database "webpig_not_created_yet" does not exist; create it first \(CREATE DATABASE "webpig_not_created_yet"; in psql, or createdb webpig_not_created_yet\): webpig creates its tables itself, not the database\n$/,
    );
  });

  it('creates the schema in an empty PostgreSQL schema; running it twice changes nothing', async () => {
    const { url, schema } = await schemas.create();
    const first = runCli(['--db', url, 'migrate'], { cwd: dir });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, appliedLine(postgresNames));
    const created = await postgresSchema(schema);
    assert.ok(JSON.stringify(created).includes('"table_name":"events"'), 'the events table exists');
    const second = runCli(['--db', url, 'migrate'], { cwd: dir });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /nothing to apply/);
    assert.deepEqual(await postgresSchema(schema), created, 'the second run changed no column, index, constraint or version');
  });

  it('refuses a schema migrated by a newer webpig with one clear line', async () => {
    const { url, schema } = await schemas.create();
    assert.equal(runCli(['--db', url, 'migrate'], { cwd: dir }).status, 0);
    await queryIn(schema, "INSERT INTO webpig_migrations (version, name) VALUES (99, '0099_future')");
    const result = runCli(['--db', url, 'migrate'], { cwd: dir });
    assert.notEqual(result.status, 0);
    assert.equal(
      result.stderr.trim(),
      `webpig: database schema is at version 99 but this webpig only knows up to ${postgresNames.length}; upgrade webpig`,
    );
  });

  it('refuses a read-only session (a standby, default_transaction_read_only) with one line, migrating nothing', async () => {
    const { url, schema } = await schemas.create();
    const readOnly = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c default_transaction_read_only=on')}`;
    const result = runCli(['--db', readOnly, 'migrate'], { cwd: dir });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^webpig: the PostgreSQL database is read-only: /);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.deepEqual(
      await queryIn(schema, 'SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]),
      [],
      'no table was created',
    );
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

    const bad = runCli(['--db', db, 'flags', 'set', 'DIAN', 'maybe', '--reason', 'test'], { cwd: dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /must be on or off/);

    const unknown = runCli(['--db', db, 'flags', 'set', 'NOPE', 'off', '--reason', 'test'], { cwd: dir });
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr, 'webpig: there is no flag "NOPE"\n');

    const spoof = runCli(['--db', db, 'flags', 'set', 'DIAN', 'off', '--reason', 'x', '--actor', 'ana\u001b[2K'], { cwd: dir });
    assert.equal(spoof.status, 2, 'a control character in --actor is refused');
    assert.match(spoof.stderr, /--actor must be a name of 1 to 100 printable characters/);
    const ok = runCli(['--db', db, 'flags', 'set', 'DIAN', 'off', '--reason', 'DIAN is down', '--actor', 'ana'], { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    const store = await openStore(db);
    try {
      assert.equal((await store.getFlag('DIAN'))?.value, false);
      const history = await store.flagHistory('DIAN');
      assert.equal(history.items.length, 1);
      // The OS user who ran it, with the declared name beside it (a bare 'ana' could be anyone).
      assert.equal(history.items[0]?.actor, `cli:${userInfo().username} (as ana)`);
      assert.equal(history.items[0]?.reason, 'DIAN is down');
      const audit = await store.listAudit({ action: 'flag.set' });
      assert.equal(audit.items.length, 1);
      // The same subject as a change made in Web Pig (flag:KEY), so a filter by the flag finds both.
      assert.equal(audit.items[0]?.target, 'flag:DIAN');
      assert.equal(audit.items[0]?.actor, `cli:${userInfo().username} (as ana)`);
      assert.equal((audit.items[0]?.details as { declaredActor?: string }).declaredActor, 'ana');
    } finally {
      await store.close();
    }
  });
});

describe('a server that cannot listen', () => {
  /** A port this process holds, as another program would. */
  async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
  }

  it('a port in use: exit 1, one line naming the address, the cause and the option to change', async () => {
    const cfgDir = mkdtempSync(path.join(dir, 'port-taken-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    const { port, release } = await takenPort();
    try {
      for (const command of ['start', 'serve']) {
        const result = runCli(['--db', `sqlite:${path.join(cfgDir, 'webpig.db')}`, command, '--port', String(port)], { cwd: cfgDir });
        assert.equal(result.status, 1, result.stderr);
        assert.equal(result.stdout, '');
        assert.equal(
          result.stderr,
          `webpig: cannot listen on 127.0.0.1:${port}: the port is already in use (another webpig, or another program, listens there): ` +
            'stop it, or choose another port with --port N (or server.port in the config)\n',
          command,
        );
      }
      const demo = runCli(['demo', '--port', String(port), '--no-traffic', '--db', path.join(cfgDir, 'demo.db')], { cwd: cfgDir });
      assert.equal(demo.status, 1, demo.stderr);
      assert.equal(demo.stdout, '', 'no banner');
      assert.equal(
        demo.stderr,
        `webpig: cannot listen on 127.0.0.1:${port}: the port is already in use (another webpig, or another program, listens there): ` +
          'stop it, or choose another port with --port N\n',
      );
    } finally {
      await release();
    }
  });

  it('a --host that is no host name: exit 1, one line saying what --host takes', () => {
    const cfgDir = mkdtempSync(path.join(dir, 'bad-host-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    const result = runCli(['--db', `sqlite:${path.join(cfgDir, 'webpig.db')}`, 'serve', '--port', '0', '--host', 'no-such-host.invalid'], {
      cwd: cfgDir,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(
      result.stderr,
      'webpig: cannot listen on no-such-host.invalid:0: there is no host named no-such-host.invalid: ' +
        "--host (or server.host) takes one of this host's addresses, 127.0.0.1 (this host only) or 0.0.0.0 (every interface)\n",
    );
  });
});

describe('webpig serve', () => {
  it('--host 0.0.0.0 prints the bound address and says it takes every interface, not 127.0.0.1', { timeout: 60_000 }, async () => {
    const cfgDir = mkdtempSync(path.join(dir, 'serve-all-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    for (const [command, host, bound] of [
      ['serve', '0.0.0.0', '0\\.0\\.0\\.0'],
      ['start', '::', '\\[::\\]'],
    ] as const) {
      const server = startCli(['--db', `sqlite:${path.join(cfgDir, 'serve.db')}`, command, '--port', '0', '--host', host], { cwd: cfgDir });
      try {
        const line = await server.waitForLine(/listening on /);
        const match = new RegExp(`^webpig listening on http://${bound}:(\\d+) \\(all interfaces of this host: (.*); webhooks at`).exec(
          line,
        );
        assert.ok(match, `${command} --host ${host}: ${line}`);
        const port = match[1];
        assert.match(match[2] ?? '', new RegExp(`http://127\\.0\\.0\\.1:${port}\\b`), 'the host addresses include the loopback one');
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      } finally {
        await server.stop();
      }
    }
  });

  it('takes a source from WEBPIG_STRIPE_WEBHOOK_SECRET when the config defines none', { timeout: 60_000 }, async () => {
    const cfgDir = mkdtempSync(path.join(dir, 'serve-'));
    writeFileSync(path.join(cfgDir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    const secret = 'whsec_from_the_environment';
    const server = startCli(['--db', `sqlite:${path.join(cfgDir, 'serve.db')}`, 'serve', '--port', '0'], {
      cwd: cfgDir,
      env: { WEBPIG_STRIPE_WEBHOOK_SECRET: secret },
    });
    try {
      const line = await server.waitForLine(/listening on /);
      const baseUrl = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
      const accepted = await sendDelivery(baseUrl, 'stripe', signStripe({ payload: stripeEvent(), secret }));
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.status, 'accepted');
      const refused = await sendDelivery(baseUrl, 'stripe', signStripe({ payload: stripeEvent(), secret: 'whsec_other' }));
      assert.equal(refused.status, 401);
    } finally {
      await server.stop();
    }
  });
});
