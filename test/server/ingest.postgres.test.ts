import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { openMigrated, postgresSkip, withTestSchema } from '../helpers/postgres.js';
import {
  customBody,
  epaycoFields,
  sendDelivery,
  signCustom,
  signEpayco,
  signStripe,
  stripeEvent,
  TEST_SECRETS,
} from '../helpers/signing.js';

/**
 * PostgreSQL-only: ingestion as a team runs it, two servers (each with its own pool and group
 * commit) on one database, with a provider's copies of one delivery spread over both.
 */

const skip = await postgresSkip();

describe('ingestion on PostgreSQL, two servers on one database', { skip }, () => {
  const schemas = withTestSchema();
  let servers: IngestServer[] = [];
  before(async () => {
    if (skip !== false) return;
    const { url } = await schemas.create();
    servers = await Promise.all([0, 1].map(async () => startIngestServer({ store: await openMigrated(url) })));
  });
  after(async () => Promise.all(servers.map((server) => server.close())));

  const deliveries = {
    stripe: () => signStripe({ payload: stripeEvent(), secret: TEST_SECRETS.stripe }),
    epayco: () => {
      const fields = epaycoFields({ x_ref_payco: String(Math.floor(Math.random() * 1e9)) });
      // Each server validates with its own sandbox's ePayco: both must know the payment.
      for (const server of servers) server.epayco.payNow(fields);
      return signEpayco({ customerId: TEST_SECRETS.epaycoCustomerId, pKey: TEST_SECRETS.epaycoPKey, fields });
    },
    shop: () => signCustom({ secret: TEST_SECRETS.custom, body: customBody(), timestampHeader: 'x-webpig-timestamp' }),
  };

  for (const [source, make] of Object.entries(deliveries)) {
    it(`50 concurrent copies of one ${source} delivery over both servers store exactly one event`, async () => {
      const signed = make();
      const before = await servers[0]!.store.countEvents({});
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => sendDelivery(servers[i % 2]!.baseUrl, source, signed)));
      assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]), JSON.stringify(replies.find((r) => r.status !== 200)?.body));
      assert.equal(new Set(replies.map((r) => r.body.id)).size, 1, 'every copy names the same event');
      assert.equal(replies.filter((r) => r.body.status === 'accepted').length, 1);
      assert.equal(await servers[1]!.store.countEvents({}), before + 1);
    });
  }

  it('a signed delivery with U+0000 in its JSON is stored with its exact bytes, not refused 503 on every retry', async () => {
    const event = stripeEvent({
      object: {
        id: 'pi_nul',
        object: 'payment_intent',
        amount: 100,
        currency: 'usd',
        description: 'Plan\u0000anual',
        metadata: { note: '\ud800' },
      },
    });
    const signed = signStripe({ payload: event, secret: TEST_SECRETS.stripe });
    assert.match(signed.body, /\\u0000/, 'the body carries the escape');
    const reply = await sendDelivery(servers[0]!.baseUrl, 'stripe', signed);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const stored = await servers[0]!.store.getEvent(reply.body.id as number);
    assert.ok(stored?.rawBody.equals(Buffer.from(signed.body)), 'the exact bytes, for any later verification');
    assert.equal(stored?.summary.product?.name, 'Plan\uFFFDanual');
  });

  it('different deliveries racing through both servers are each stored once', async () => {
    const batch = Array.from({ length: 40 }, () => deliveries.stripe());
    // Each delivery twice, once to each server, in opposite orders.
    const replies = await Promise.all([
      ...batch.map((signed) => sendDelivery(servers[0]!.baseUrl, 'stripe', signed)),
      ...[...batch].reverse().map((signed) => sendDelivery(servers[1]!.baseUrl, 'stripe', signed)),
    ]);
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    assert.equal(replies.filter((r) => r.body.status === 'accepted').length, batch.length);
    assert.equal(new Set(replies.map((r) => r.body.id)).size, batch.length);
  });
});
