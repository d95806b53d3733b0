/**
 * Requests refused before any handler runs — by Fastify's router (a malformed %-escape, a path
 * parameter too long), its body parser (not JSON, empty JSON, another content type) or the
 * query schema (a repeated parameter) — are answered as docs/api.md says every error is:
 * `{"error":{"code","message"}}` with the documented code, a message that says how to fix the
 * request, and nothing of the input echoed back. The real server (buildServer), on a real port.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/service/app.js';
import { createApiToken } from '../../src/server/auth/tokens.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { testSources } from '../helpers/ingest-server.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

interface Reply {
  status: number;
  text: string;
}

describe('refusals before any handler answer in the app’s error shape', () => {
  const temp = tempDatabaseDir('webpig-refusals-');
  let store: SqliteStore;
  let app: FastifyInstance;
  let port = 0;
  let token = '';

  before(async () => {
    store = SqliteStore.open(`sqlite:${join(temp.dir, 'webpig.db')}`);
    await store.migrate();
    app = await buildServer({ store, config: { sources: testSources('http://127.0.0.1:9'), pipelines: [] }, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    port = address.port;
    token = (await createApiToken(store, { name: 'refusals', scopes: ['admin'], createdBy: 'test', now: new Date() })).token;
  });
  after(async () => {
    await app.close();
    await store.close();
    temp.remove();
  });

  /** node:http sends the path and headers exactly as given (fetch would normalize the URL and add a content type). */
  function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }
  const withToken = (headers: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...headers });

  function assertError(reply: Reply, status: number, code: string, message: RegExp): void {
    assert.equal(reply.status, status, reply.text);
    const body = JSON.parse(reply.text) as unknown;
    assert.deepEqual(Object.keys(body as object), ['error'], `only { error }: ${reply.text}`);
    const { error } = body as { error: { code: string; message: string } };
    assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
    assert.equal(error.code, code);
    assert.match(error.message, message);
  }

  test('a path with a malformed %-escape: 400 INVALID_REQUEST, the path not echoed', async () => {
    for (const path of ['/api/events/%E0%A4%A', '/webhooks/%E0%A4%A']) {
      const reply = await send('GET', path, withToken());
      assertError(reply, 400, 'INVALID_REQUEST', /^the URL path is not valid: each % must begin a %XX escape/);
      assert.doesNotMatch(reply.text, /%E0|%A4/, path);
    }
  });

  test('a path parameter over 100 characters: 400 INVALID_REQUEST, the parameter not echoed', async () => {
    const long = 'a'.repeat(5000);
    for (const [method, path] of [
      ['POST', `/webhooks/${long}`],
      ['GET', `/api/events/${long}`],
    ] as const) {
      const reply = await send(method, path, withToken({ 'content-type': 'application/json' }), '{}');
      assertError(reply, 400, 'INVALID_REQUEST', /^a part of the URL path is longer than 100 characters/);
      assert.ok(reply.text.length < 300, `a short reply, not the input: ${reply.text.length} characters`);
    }
  });

  test('a body that is not JSON: 400 INVALID_REQUEST naming the body', async () => {
    const reply = await send('POST', '/api/bulk/preview', withToken({ 'content-type': 'application/json' }), '{"filter": {');
    assertError(reply, 400, 'INVALID_REQUEST', /^body: not valid JSON; check its syntax/);
  });

  test('an empty body sent as JSON: 400 INVALID_REQUEST (not the webhooks’ MALFORMED_BODY)', async () => {
    const reply = await send('POST', '/api/bulk/preview', withToken({ 'content-type': 'application/json', 'content-length': '0' }), '');
    assertError(reply, 400, 'INVALID_REQUEST', /^body: empty, but Content-Type is application\/json; send a JSON object/);
  });

  test('another content type: 415 UNSUPPORTED_MEDIA_TYPE saying to send application/json', async () => {
    const reply = await send('POST', '/api/bulk/preview', withToken({ 'content-type': 'application/x-www-form-urlencoded' }), 'filter=x');
    assertError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', /send Content-Type: application\/json/);
  });

  test('a repeated query parameter: 400 INVALID_REQUEST saying it is repeated', async () => {
    const reply = await send('GET', '/api/events?limit=1&limit=2', withToken());
    assertError(reply, 400, 'INVALID_REQUEST', /^limit: given 2 times in the query; give it once$/);
    const once = await send('GET', '/api/events?limit=1', withToken());
    assert.equal(once.status, 200, once.text);
  });

  test('an events filter by a source the config does not name: 400 naming the configured ones', async () => {
    const reply = await send('GET', '/api/events?source=stirpe', withToken());
    assertError(reply, 400, 'INVALID_REQUEST', /^source: unknown source "stirpe" \(known: stripe, mercadopago, epayco, shop\)$/);
    assert.equal((await send('GET', '/api/events?source=stripe', withToken())).status, 200);
  });
});
