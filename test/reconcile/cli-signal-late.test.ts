import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startCli } from '../helpers/cli.js';
import { sqliteCliDatabase, startReconcileCliRig, type ReconcileCliRig } from '../helpers/reconcile-cli.js';
import type { StripeRig } from '../helpers/stripe-rig.js';

/**
 * A signal that reaches the built `webpig reconcile` process after its last page: the window
 * was listed whole, its events created and the run recorded as finished, so the command says so
 * on one line and exits 0 (it completed). The moment is made exact by a real HTTP hop in front
 * of the sandbox's Stripe that holds the request read after the last page — the list of
 * undelivered events — until the signal has been sent.
 */
describe('webpig reconcile signalled after its last page', () => {
  let setup: ReconcileCliRig<SqliteStore>;
  let store: SqliteStore;
  let db: string;
  let rig: StripeRig;
  let hop: UndeliveredHold;

  before(async () => {
    setup = await startReconcileCliRig({ database: () => sqliteCliDatabase('webpig-reconcile-late-signal-'), recordApi: false });
    ({ store, db, rig } = setup);
    hop = await holdUndelivered(rig.stripeApiUrl);
    await store.recordProviderApi('stripe', hop.url);
  });
  after(async () => {
    await hop?.close();
    await setup?.close();
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while it reads the undelivered list: exit 0, one line saying it completed, the run recorded as finished`, async () => {
      const lost = String((await rig.lostPayment()).id);
      const cli = startCli(['--db', db, 'reconcile', '--source', 'stripe', '--since', '1h']);
      const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
      await hop.nextHeld();
      cli.child.kill(signal);
      const code = await exited;
      assert.equal(code, 0, cli.errorOutput());
      assert.match(
        cli.errorOutput(),
        new RegExp(
          `^webpig: ${signal} received as the run was ending: the run had listed its whole window and recorded it, so it completed$`,
          'm',
        ),
      );
      assert.match(cli.output(), new RegExp(`${lost} payment_intent.succeeded: created as event`));
      assert.match(
        cli.output(),
        /Stripe's list of undelivered events could not be read: not read: the run was stopped after its last page/,
      );
      const state = await store.getReconciliationState('stripe');
      assert.equal(state?.lastError, null);
      assert.equal(state?.resume, null, 'nothing left to resume');
      assert.equal(state?.running, null, 'the source released');
      assert.ok(state?.lastFinishedAt, 'recorded as finished');
    });
  }
});

interface UndeliveredHold {
  url: string;
  /** Resolves when a request for the undelivered list arrives (and is being held). */
  nextHeld(): Promise<void>;
  close(): Promise<void>;
}

/** Forwards every request to `target`, but holds `delivery_success=false` ones unanswered. */
async function holdUndelivered(target: string): Promise<UndeliveredHold> {
  let wake: (() => void) | null = null;
  const forward = async (request: IncomingMessage, response: ServerResponse) => {
    if ((request.url ?? '').includes('delivery_success=false')) {
      wake?.();
      return; // held until the client gives up (the signal cuts it)
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && name !== 'host') headers[name] = value;
    const reply = await fetch(`${target}${request.url ?? ''}`, { method: request.method ?? 'GET', headers });
    response.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await reply.arrayBuffer()));
  };
  const server = createServer((request, response) => {
    forward(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    nextHeld: () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no request for the undelivered list arrived')), 30_000);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
