import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startCli } from '../helpers/cli.js';
import { startStripeRig, type StripeRig } from './stripe-rig.js';

/**
 * docs/reconcile.md, run: its config block is written as webpig.config.ts and every command of
 * its shell blocks (the `npx webpig` lines) runs as it is, against the sandbox's Stripe.
 */
const GUIDE = readFileSync(new URL('../../docs/reconcile.md', import.meta.url), 'utf8');
const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

const blocks = (lang: string) => [...GUIDE.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
const commands = blocks('sh')
  .flatMap((block) => block.split('\n'))
  .filter((line) => line.startsWith('npx webpig '))
  .map((line) => line.slice('npx webpig '.length).split(' '));

async function run(args: string[], cwd: string, env: Record<string, string>) {
  const cli = startCli(args, { cwd, env });
  let stdout = '';
  let stderr = '';
  cli.child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => cli.child.once('exit', (status) => resolve(status)));
  return { code, stdout, stderr };
}

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
        '--db sqlite:./webpig-demo.db reconcile --source stripe --dry-run',
      ],
    );
    const [dryRun, create, demo] = commands as [string[], string[], string[]];
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

    // The demo's way: only --db, the API address recorded in the database.
    await store.recordProviderApi('stripe', rig.stripeApiUrl);
    const another = String((await rig.lostPayment()).id);
    const fromDemo = await run(demo, demoDir, {});
    assert.equal(fromDemo.code, 0, fromDemo.stderr);
    assert.match(fromDemo.stdout, new RegExp(`${another} payment_intent.succeeded: would be created`));
  });

  it('a wrong duration in the config stops the command, naming the field', async () => {
    writeFileSync(
      join(project, 'webpig.config.ts'),
      `export default { sources: [], pipelines: [], reconcile: { stripe: { every: '15 minutes' } } };\n`,
    );
    const result = await run(['reconcile', '--source', 'stripe'], project, env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /reconcile\.stripe\.every: must be a duration like 30s, 15m, 48h or 7d/);
  });
});
