import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { CLAIM_LOST_LOG } from '../../src/engine/reconcile-job.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runToExit } from '../helpers/reconcile-cli.js';
import { startStripeRig, type StripeRig } from '../helpers/stripe-rig.js';

/**
 * docs/reconcile.md, run: its config block is written as webpig.config.ts and every command of
 * its shell blocks runs as it is, against the sandbox's Stripe (the `npx webpig` lines, and the
 * curl that makes a fault, sent to this sandbox's port); the faults its text shows are made too.
 */
const GUIDE = readFileSync(new URL('../../docs/reconcile.md', import.meta.url), 'utf8');
const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

const blocks = (lang: string) => [...GUIDE.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
/** Every command of the shell blocks: comments dropped, `\`-continued lines joined. */
const shellCommands = blocks('sh')
  .flatMap((block) => block.replace(/\\\n\s*/g, '').split('\n'))
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const commands = shellCommands.filter((line) => line.startsWith('npx webpig ')).map((line) => line.slice('npx webpig '.length).split(' '));
/** The sandbox faults the guide shows, in its commands and its text. */
const faults = [...GUIDE.matchAll(/'?(\{"service":[^`'\n]*\})'?/g)].map((m) => m[1] as string);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const run = (args: string[], cwd: string, env: Record<string, string>) => runToExit(args, { cwd, env });

describe('docs/reconcile.md (the guide, run)', () => {
  const project = mkdtempSync(join(tmpdir(), 'webpig-reconcile-docs-'));
  const demoDir = mkdtempSync(join(tmpdir(), 'webpig-reconcile-demo-'));
  const dbFile = join(demoDir, 'webpig-demo.db');
  let store: SqliteStore;
  let rig: StripeRig;
  let env: Record<string, string>;

  before(async () => {
    store = SqliteStore.open(`sqlite:${dbFile}`);
    await store.migrate();
    rig = await startStripeRig(store);
    const config = blocks('ts').find((block) => block.startsWith('// webpig.config.ts\n'));
    assert.ok(config, 'the guide has a webpig.config.ts block');
    writeFileSync(join(project, 'webpig.config.ts'), config.replaceAll("from 'webpig'", `from ${JSON.stringify(INDEX)}`));
    env = {
      WEBPIG_DATABASE_URL: `sqlite:${dbFile}`,
      WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_docs_test',
      WEBPIG_STRIPE_API_KEY: 'sk_test_docs',
      STRIPE_API_URL: rig.stripeApiUrl,
    };
  });
  after(async () => {
    await rig?.close();
    await store?.close();
    rmSync(project, { recursive: true, force: true });
    rmSync(demoDir, { recursive: true, force: true });
  });

  it('has the commands it says, and they do what it says', async () => {
    assert.deepEqual(
      commands.map((args) => args.join(' ')),
      [
        'reconcile --source stripe --since 24h --dry-run',
        'reconcile --source stripe --since 24h',
        'reconcile --source stripe --since 26h',
        '--db sqlite:./webpig-demo.db reconcile --source stripe --dry-run',
      ],
    );
    const [dryRun, create, morning, demo] = commands as [string[], string[], string[], string[]];
    const lost = String((await rig.lostPayment()).id);
    const lostRefund = String((await rig.lostPayment({ type: 'charge.refunded' })).id);
    await rig.lostPayment({ type: 'customer.created' }); // not among the config's types

    const dry = await run(dryRun, project, env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /2 never reached webpig/);
    assert.match(dry.stdout, /Stripe reports 2 not delivered: /, 'what Stripe itself reports as not delivered');
    assert.equal(await store.countEvents({}), 0, '--dry-run changes nothing');

    const created = await run(create, project, env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`${lost} payment_intent.succeeded: created as event \\d+`));
    assert.match(created.stdout, new RegExp(`${lostRefund} charge.refunded: created as event \\d+`));
    assert.equal(await store.countEvents({}), 2);

    // The morning run: 26 hours, reaching into the last run's window, so the checked dates stay one interval.
    const coveredBefore = (await store.getReconciliationState('stripe'))?.covered;
    const daily = await run(morning, project, env);
    assert.equal(daily.code, 0, daily.stderr);
    assert.match(daily.stdout, /0 never reached webpig/);
    const covered = (await store.getReconciliationState('stripe'))?.covered;
    assert.ok(covered?.by === 'dates' && coveredBefore?.by === 'dates');
    assert.ok(covered.until.getTime() - covered.from.getTime() >= 26 * 3_600_000, 'one interval of at least 26 hours');
    assert.ok(covered.from.getTime() < coveredBefore.from.getTime(), 'widened back from the earlier one');

    // The demo's way: only --db, the API address recorded in the database.
    await store.recordProviderApi('stripe', rig.stripeApiUrl);
    const another = String((await rig.lostPayment()).id);
    const fromDemo = await run(demo, demoDir, {});
    assert.equal(fromDemo.code, 0, fromDemo.stderr);
    assert.match(fromDemo.stdout, new RegExp(`${another} payment_intent.succeeded: would be created`));
  });

  it('its other commands and sandbox faults do what it says', async () => {
    const others = shellCommands.filter((line) => !line.startsWith('npx webpig '));
    assert.equal(others.length, 1, `the guide's commands besides webpig's: ${others.join(' | ')}`);
    const [curl] = others as [string];
    assert.match(curl, /^curl -X POST localhost:3000\/sandbox\/_faults /);
    // The demo's port is 3000; this sandbox has its own.
    // Not execFileSync: the sandbox answering it runs in this process.
    await new Promise<void>((resolve, reject) =>
      execFile('sh', ['-c', `${curl.replace('localhost:3000', new URL(rig.stripeApiUrl).host)} --fail --silent --max-time 10`], (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    const event = await fetch(`${rig.stripeApiUrl}/events?deliver=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'payment_intent.succeeded', data: { object: { id: 'pi_docs_curl', object: 'payment_intent' } } }),
    });
    const registered = (await event.json()) as { id: string; sandbox: { deliver: boolean } };
    assert.equal(registered.sandbox.deliver, false, "the curl's fault loses the next webhook");

    assert.equal(faults.length, 2, faults.join(' | '));
    assert.equal(faults[0], curl.match(/-d '(.*)'$/)?.[1], "the first is the curl command's");
    await rig.fault(JSON.parse(faults[1] as string) as Record<string, unknown>);
    const after429 = await run(['reconcile', '--source', 'stripe', '--since', '24h'], project, env);
    assert.equal(after429.code, 0, after429.stderr);
    assert.match(
      after429.stdout,
      new RegExp(`${registered.id} payment_intent.succeeded: created as event \\d+`),
      'the run waited and went on',
    );
    assert.deepEqual(rig.sandbox.store.listFaults(), [], 'the listing met the 429 (the fault was taken)');
    const quotedWait = /`(webpig: Stripe: GET \/v1\/events answered 429: …; trying again in 1 s \(Ctrl-C stops the run here\))`/.exec(
      GUIDE.replace(/\n\s*/g, ' '),
    )?.[1];
    assert.ok(quotedWait, 'the guide quotes what the command says while it waits');
    const [before, after] = quotedWait.split('…');
    assert.match(after429.stderr, new RegExp(`^${escape(before as string)}.+${escape(after as string)}$`, 'm'), after429.stderr);
  });

  it('quotes what a worker logs when another run took its run over, as the worker logs it', () => {
    assert.ok(GUIDE.replace(/\s+/g, ' ').includes(`\`${CLAIM_LOST_LOG}\``), CLAIM_LOST_LOG);
  });

  it("quotes the overdue alert as the worker's check raises it", async () => {
    const quoted = /``(reconciliation of stripe is overdue: [^`]*`[^`]*`[^`]*)``/.exec(GUIDE.replace(/\n\s*/g, ' '))?.[1];
    assert.ok(quoted, 'the guide quotes the alert');
    const finishedAt = (await store.getReconciliationState('stripe'))?.lastFinishedAt;
    assert.ok(finishedAt, 'the commands above finished a run');
    const now = new Date(finishedAt.getTime() + 2 * 3_600_000);
    await checkAlertConditions({ store, reconcile: { settings: { stripe: { every: '15m' } } } }, now);
    const alert = (await store.listAlerts({ unresolvedOnly: true })).items.find((a) => a.subject === 'reconcile-overdue:stripe');
    assert.equal(alert?.message, quoted.replace('<date>', finishedAt.toISOString()));
    await store.resolveAlert(alert.id, now);
  });

  it('a database that does not exist: exit 1 with the line the guide quotes, nothing created; a --db that is no URL: exit 2', async () => {
    const quoted = /`(webpig: no database at [^`]*)`/.exec(GUIDE.replace(/\n\s*/g, ' '))?.[1];
    assert.ok(quoted, 'the guide quotes the line');
    const missing = join(project, 'missing.db');
    const result = await run(['--db', `sqlite:${missing}`, 'reconcile', '--source', 'stripe'], project, env);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim(), quoted.replace('/…/missing.db', missing));
    assert.equal(existsSync(missing), false, 'nothing was created');
    const notUrl = await run(['--db', missing, 'reconcile', '--source', 'stripe'], project, env);
    assert.equal(notUrl.code, 2, notUrl.stderr);
    assert.match(notUrl.stderr, /unsupported database URL/);
  });

  it(
    'a missing credential or a source the service lacks stops the start, as the guide says, before it listens',
    { timeout: 60_000 },
    async () => {
      const { WEBPIG_STRIPE_API_KEY: _key, ...withoutKey } = env;
      const noKey = await run(['start', '--port', '0'], project, withoutKey);
      assert.equal(noKey.code, 2, noKey.stderr);
      assert.match(noKey.stderr, /set WEBPIG_STRIPE_API_KEY, or reconcile\.stripe\.apiKey in the config/);
      assert.doesNotMatch(noKey.stderr + noKey.stdout, /listening/);
      const { WEBPIG_STRIPE_WEBHOOK_SECRET: _secret, ...withoutSource } = env;
      const noSource = await run(['start', '--port', '0'], project, withoutSource);
      assert.equal(noSource.code, 2, noSource.stderr);
      assert.match(noSource.stderr, /reconcile\.stripe: no source named "stripe" is configured .*set WEBPIG_STRIPE_WEBHOOK_SECRET/);
      assert.doesNotMatch(noSource.stderr + noSource.stdout, /listening/);
    },
  );

  it('a wrong duration in the config stops the command, naming the field', async () => {
    writeFileSync(
      join(project, 'webpig.config.ts'),
      `export default { sources: [], pipelines: [], reconcile: { stripe: { every: '15 minutes' } } };\n`,
    );
    const result = await run(['reconcile', '--source', 'stripe'], project, env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /reconcile\.stripe\.every: must be a duration like 30s, 15m, 48h or 7d/);
  });

  it("a Stripe lookBack beyond Stripe's 30 days stops the command with the message the guide quotes", async () => {
    const quoted = /`(reconcile\.stripe\.lookBack: "45d" reaches [^`]*)`/.exec(GUIDE.replace(/\n/g, ' '))?.[1];
    assert.ok(quoted, 'the guide quotes the message');
    writeFileSync(
      join(project, 'webpig.config.ts'),
      `export default { sources: [], pipelines: [], reconcile: { stripe: { lookBack: '45d' } } };\n`,
    );
    const result = await run(['reconcile', '--source', 'stripe'], project, env);
    assert.equal(result.code, 2);
    assert.ok(result.stderr.includes(quoted), result.stderr);
  });
});
