import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as registerEvents } from '../../src/cli/commands/events.js';
import type { EngineCliDeps } from '../../src/cli/commands/cli-deps.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { customBody, sendDelivery, signCustom, signStripe, stripeEvent, TEST_SECRETS } from '../helpers/signing.js';

/**
 * Control, bidirectional and invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE makes
 * "ref-1<U+202E>9876" read "ref-16789"). No provider puts one in an event id or type, so such a
 * delivery is refused with 400; a customer's name or a reference may hold one (it is the
 * customer's or the checkout's text), so the payment is kept and the CLI and the dashboard show
 * the character as `[U+202E]`.
 */

const RLO = '\u202e';

describe('hidden characters in what a provider sends', () => {
  let dir: string;
  let server: IngestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webpig-hidden-'));
    server = await startIngestServer({ store: SqliteStore.open(`sqlite:${join(dir, 'webpig.db')}`), closeStore: false });
  });
  after(async () => {
    await server.close();
    await server.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sendCustom = (body: Record<string, unknown>) =>
    sendDelivery(server.baseUrl, 'shop', signCustom({ secret: TEST_SECRETS.custom, body, timestampHeader: 'x-webpig-timestamp' }));

  it('an event id or type with a control or bidirectional character is refused with 400 naming it, and nothing is stored', async () => {
    for (const [body, named] of [
      [customBody({ id: `ref-1${RLO}9876` }), /the event id contains U\+202E, a control, bidirectional or invisible character/],
      [customBody({ id: 'ord-7\u0000' }), /the event id contains U\+0000/],
      [{ ...customBody(), type: `order.paid\u2066` }, /the event type contains U\+2066/],
    ] as const) {
      const reply = await sendCustom(body);
      assert.equal(reply.status, 400);
      assert.equal((reply.body.error as { code: string }).code, 'MALFORMED_BODY');
      assert.match((reply.body.error as { message: string }).message, named);
    }
    const stripe = await sendDelivery(
      server.baseUrl,
      'stripe',
      signStripe({ payload: stripeEvent({ id: `evt_1${RLO}cba` }), secret: TEST_SECRETS.stripe }),
    );
    assert.equal(stripe.status, 400);
    assert.match((stripe.body.error as { message: string }).message, /the event id contains U\+202E/);
    assert.equal(await server.store.countEvents({}), 0, 'nothing half-written');
  });

  it("an entity key and a customer's name with one are kept as sent: the payment is not lost", async () => {
    const body = { ...customBody({ id: 'ord-8', entity: `order-8${RLO}1` }), customer: { name: `Ana${RLO} zemóG` } };
    const reply = await sendCustom(body);
    assert.equal(reply.status, 200);
    const stored = await server.store.findEventByProviderId('shop', 'ord-8');
    assert.equal(stored?.entityKey, `order-8${RLO}1`);
    assert.deepEqual((stored?.payload as { customer?: unknown }).customer, { name: `Ana${RLO} zemóG` });
  });

  it('the CLI writes them out as [U+202E] in events and events show', async () => {
    // An event stored before this check, or read from a provider's list, may have one in its id.
    const { event } = await server.store.insertEvent({
      source: 'epayco',
      providerEventId: `ref-1${RLO}9876:1`,
      entityKey: `invoice:FV-1${RLO}2`,
      type: 'transaction.accepted',
      transactionStatus: 'accepted',
      occurredAt: new Date(),
      receivedAt: new Date(),
      rawBody: Buffer.from('{}'),
      contentType: 'application/json',
      payload: {},
      summary: { customer: { name: `Laura${RLO} zemóG\u001b[2J` }, references: { refPayco: `1${RLO}9876` }, amount: 1000 },
    });
    const openStore = async () => SqliteStore.open(`sqlite:${join(dir, 'webpig.db')}`);
    const deps: EngineCliDeps = {
      openStore,
      openExistingStore: openStore,
      loadConfig: async () => resolveConfig({ sources: [], pipelines: [] }, 'test'),
      loadConfigForReading: async () => resolveConfig({ sources: [], pipelines: [] }, 'test'),
    };
    const output = async (...args: string[]) => {
      const run = await runInProcess((program) => registerEvents(program, deps), args);
      assert.equal(run.exitCode, 0, run.err);
      return run.out;
    };
    const list = await output('events', '--source', 'epayco');
    assert.match(list, /Laura\[U\+202E\] zemóG\[U\+001B\]\[2J/);
    const shown = await output('events', 'show', String(event.id));
    assert.match(shown, /epayco\/ref-1\[U\+202E\]9876:1/);
    assert.match(shown, /entity invoice:FV-1\[U\+202E\]2/);
    assert.match(shown, /references refPayco=1\[U\+202E\]9876/);
    for (const text of [list, shown]) {
      assert.ok(!text.includes(RLO) && !text.includes('\u001b'), 'no override or escape reaches the terminal');
    }
  });
});
