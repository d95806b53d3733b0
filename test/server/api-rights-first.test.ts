import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { requireDeclaredRights } from '../../src/server/api/plugin.js';
import { startApi, type Harness } from './api-harness.js';

/**
 * Rights first, everywhere: a caller without the rights a route needs gets 403 whatever it
 * sent: a body that is not JSON, one of the wrong shape, params that are no id. Before, the
 * body was checked first, so a read-only token got 400 from /api/bulk/run and learnt how to
 * word a request it may not make. Every state-changing route is walked, as the API's own
 * OpenAPI document lists them, so a route added later is walked too.
 */

const STATE_CHANGING = ['post', 'put', 'patch', 'delete'];

/** The path with each `{param}` filled: with something valid, or with something malformed. */
function filled(path: string, malformed: boolean): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) =>
    malformed ? 'not-an-id%20' : name === 'key' ? 'WORLDOFFICE_DIAN_ENABLED' : name === 'stage' ? 'crm_upsert' : '1',
  );
}

describe('rights before the request is read', () => {
  let h: Harness;
  let routes: Array<{ method: string; path: string }> = [];
  before(async () => {
    h = await startApi();
    const document = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, object> };
    routes = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        // /auth/link and the other /auth routes are signing in: the link or the session is the credential.
        .filter((method) => path.startsWith('/api/') && STATE_CHANGING.includes(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
  });
  after(async () => h.close());

  it('walks every state-changing route with a read-only token and a malformed body or params: 403 each time', async () => {
    assert.ok(routes.length >= 9, `the document lists the state-changing routes (${routes.map((r) => r.path).join(', ')})`);
    const readOnly = await h.token(['events:read'], 'reader');
    for (const { method, path } of routes) {
      for (const [what, url, payload] of [
        ['a body that is not JSON', filled(path, false), '{"reason": "half'],
        ['a body of the wrong shape', filled(path, false), JSON.stringify({ nonsense: [1, 2], reason: 7 })],
        ['params that are no id, and no body', filled(path, true), undefined],
      ] as const) {
        const reply = await h.app.inject({
          method: method as 'POST',
          url,
          headers: { ...readOnly.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(payload === undefined ? {} : { payload }),
        });
        assert.equal(reply.statusCode, 403, `${method} ${path} with ${what}: ${reply.body}`);
        assert.equal((reply.json() as { error: { code: string } }).error.code, 'FORBIDDEN');
      }
    }
  });

  it('reads that need more than events:read refuse a read-only token before their query is checked', async () => {
    const readOnly = await h.token(['events:read'], 'reader-2');
    for (const url of ['/api/audit?limit=nope&since=yesterday', '/api/events/abc/stages/crm_upsert/rerun-preview']) {
      const reply = await h.request('GET', url, readOnly);
      assert.equal(reply.statusCode, 403, `${url}: ${reply.body}`);
    }
  });

  it('a caller with the rights still gets the 400 that says what is wrong', async () => {
    const operator = await h.token(['events:read', 'events:retry', 'stages:rerun'], 'operator-bot');
    const reply = await h.app.inject({
      method: 'POST',
      url: '/api/bulk/run',
      headers: { ...operator.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ filter: { status: ['dead'] } }),
    });
    assert.equal(reply.statusCode, 400);
    assert.match(reply.body, /reason/);
  });

  it('a state-changing or validating /api route that declares no rights stops the server at start', async () => {
    const app = Fastify({ logger: false });
    app.addHook('onRoute', requireDeclaredRights);
    assert.throws(() => app.post('/api/unguarded', async () => ({ ok: true })), /POST \/api\/unguarded declares no rights/);
    assert.throws(
      () => app.get('/api/unguarded/:id', { schema: { params: { type: 'object' } } }, async () => ({ ok: true })),
      /GET \/api\/unguarded\/:id declares no rights/,
    );
    app.post('/api/guarded', { config: { rights: 'events:retry' } }, async () => ({ ok: true }));
    app.get('/api/plain', async () => ({ ok: true }));
    await app.close();
  });
});
