import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runDemo } from '../../src/demo/run-demo.js';
import { openStore } from '../../src/store/open.js';
import { startCli } from '../helpers/cli.js';
import { stripeEvent } from '../helpers/signing.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/**
 * The demo: a webhook the sandbox's Stripe "lost" (a `deliver_webhook` fault) is found by the
 * demo's reconcile job; `webpig reconcile` run as its own process with only `--db` pointing at
 * the running demo's database uses the sandbox too.
 */
describe('webpig demo: reconciliation finds lost webhooks', () => {
  const dir = tempDatabaseDir('webpig-demo-reconcile-');
  after(() => dir.remove());

  it('its reconcile job, and webpig reconcile --db on its database, create the lost payments', async () => {
    const dbFile = join(dir.dir, 'demo.db');
    const demo = await runDemo({
      port: 0,
      host: '127.0.0.1',
      dbFile,
      traffic: false,
      env: { WEBPIG_LOG_LEVEL: 'error' },
      print: () => undefined,
    });
    const store = await openStore(`sqlite:${dbFile}`);
    try {
      const post = async (path: string, body: unknown) => {
        const reply = await fetch(`${demo.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.ok(reply.ok, `${path}: ${reply.status}`);
        return (await reply.json()) as { sandbox?: { deliver?: boolean } };
      };
      const lose = async () => {
        await post('/sandbox/_faults', { service: 'stripe', operation: 'deliver_webhook', mode: 'error' });
        const event = stripeEvent();
        const registered = await post('/sandbox/stripe/events?deliver=true', event);
        assert.equal(registered.sandbox?.deliver, false, 'the webhook is lost');
        return String(event.id);
      };
      const byJob = await lose();
      for (let waited = 0; !(await store.findEventByProviderId('stripe', byJob)); waited += 100) {
        assert.ok(waited < 20_000, 'the reconcile job found the lost payment');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal((await store.findEventByProviderId('stripe', byJob))?.origin, 'reconciliation');

      const byCli = await lose();
      const cli = startCli(['--db', `sqlite:${dbFile}`, 'reconcile', '--source', 'stripe', '--since', '1h']);
      let stdout = '';
      cli.child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => cli.child.once('exit', (status) => resolve(status)));
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`${byCli} payment_intent.succeeded: created as event \\d+`));
      assert.equal((await store.findEventByProviderId('stripe', byCli))?.origin, 'reconciliation');
    } finally {
      await store.close();
      await demo.stop();
    }
  });
});
