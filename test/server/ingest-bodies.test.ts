import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { epaycoSignature } from '../../src/sources/epayco.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { epaycoFields, sendDelivery, signCustom, TEST_SECRETS } from '../helpers/signing.js';

/**
 * Issue 17 items 6 and 7 over real HTTP: bodies that used to be stored wrongly or refused
 * forever. Deep JSON got 503 on every retry (a stack overflow while storing); Latin-1 forms
 * got 400 (never retried by the provider); ids past 2^53 collapsed into one event.
 */

let server: IngestServer;
before(async () => {
  server = await startIngestServer();
});
after(() => server.close());

const shop = (body: string) =>
  sendDelivery(server.baseUrl, 'shop', signCustom({ secret: TEST_SECRETS.custom, body, timestampHeader: 'x-webpig-timestamp' }));

describe('bodies over HTTP', () => {
  it('a signed JSON body nested 20,000 levels deep is a 400 naming the limit, every time, and stores nothing', async () => {
    const deep = `{"id":"deep-1","order":{"id":"o","status":"accepted"},"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const before = await server.store.countEvents({});
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await shop(deep);
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.match(JSON.stringify(reply.body), /nested deeper than 64 levels/);
    }
    assert.equal(await server.store.countEvents({}), before);
  });

  it('two custom ids that differ only past 2^53 are two events, stored with their exact text', async () => {
    const first = await shop('{"id":9007199254740993,"order":{"id":90071992547409931,"status":"accepted"}}');
    const second = await shop('{"id":9007199254740992,"order":{"id":90071992547409930,"status":"accepted"}}');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.status, second.body.status], ['accepted', 'accepted']);
    assert.notEqual(first.body.id, second.body.id);
    const stored = await server.store.getEvent(first.body.id as number);
    assert.equal(stored?.providerEventId, '9007199254740993');
    assert.equal(stored?.entityKey, '90071992547409931');
    const again = await shop('{"id":9007199254740993,"order":{"id":90071992547409931,"status":"accepted"}}');
    assert.deepEqual(again.body, { id: first.body.id, status: 'duplicate' });
  });

  it('an ePayco form in raw Latin-1, declared or not, is stored with its text decoded', async () => {
    for (const [ref, contentType] of [
      ['950001', 'application/x-www-form-urlencoded; charset=ISO-8859-1'],
      ['950002', 'application/x-www-form-urlencoded'],
    ] as const) {
      const fields = epaycoFields({ x_ref_payco: ref, x_customer_name: 'José', x_description: 'Suscripción' });
      await server.epayco.pay(fields);
      const signed = { ...fields, x_signature: epaycoSignature(TEST_SECRETS.epaycoCustomerId, TEST_SECRETS.epaycoPKey, fields) };
      const body = Buffer.from(
        Object.entries(signed)
          .map(([k, v]) => `${k}=${v.replace(/ /g, '+')}`)
          .join('&'),
        'latin1',
      );
      assert.ok(body.includes(0xe9), 'a raw 0xE9 byte (é) in the body');
      const res = await fetch(`${server.baseUrl}/webhooks/epayco`, { method: 'POST', headers: { 'content-type': contentType }, body });
      const reply = (await res.json()) as { id: number };
      assert.equal(res.status, 200, JSON.stringify(reply));
      const event = await server.store.getEvent(reply.id);
      assert.equal(event?.summary.customer?.name, 'José Pérez', contentType);
      assert.equal(event?.summary.product?.name, 'Suscripción');
    }
  });
});
