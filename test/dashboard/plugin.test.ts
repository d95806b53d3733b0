import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { DASHBOARD_CSP, dashboardPlugin } from '../../src/dashboard/plugin.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { ensureDashboardBuilt } from '../helpers/browser.js';

describe('dashboard plugin (the built page served by the server)', () => {
  let app: FastifyInstance;
  let root: string;

  before(async () => {
    root = await ensureDashboardBuilt();
    app = Fastify();
    installErrorHandler(app);
    app.get('/api/ping', async () => ({ ok: true }));
    await app.register(dashboardPlugin, { root });
    await app.ready();
  });
  after(() => app.close());

  test('serves index.html at / with a strict CSP, not cached', async () => {
    const reply = await app.inject({ method: 'GET', url: '/' });
    assert.equal(reply.statusCode, 200);
    assert.match(String(reply.headers['content-type']), /text\/html/);
    assert.equal(reply.headers['content-security-policy'], DASHBOARD_CSP);
    assert.equal(reply.headers['cache-control'], 'no-cache');
    assert.match(reply.body, /<div id="app">/);
  });

  test('the built page has no inline script and loads nothing from another origin', () => {
    const html = readFileSync(`${root}/index.html`, 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', /src="\/assets\//);
      assert.equal(body?.trim(), '');
    }
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  });

  test('hashed assets are cached for a year and the script is served as JavaScript', async () => {
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html names its script');
    const reply = await app.inject({ method: 'GET', url: script });
    assert.equal(reply.statusCode, 200);
    assert.match(String(reply.headers['content-type']), /javascript/);
    assert.equal(reply.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  test('page routes fall back to index.html so a reload keeps working', async () => {
    const reply = await app.inject({ method: 'GET', url: '/events/42?tab=x' });
    assert.equal(reply.statusCode, 200);
    assert.match(reply.body, /<div id="app">/);
    assert.equal(reply.headers['content-security-policy'], DASHBOARD_CSP);
  });

  test('a pasted link with a doubled slash (//events/42) is sent to the page, over real HTTP', async () => {
    const server = Fastify();
    installErrorHandler(server);
    server.get('/api/ping', async () => ({ ok: true }));
    await server.register(dashboardPlugin, { root });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.server.address() as AddressInfo;
    try {
      for (const [path, location] of [
        ['//events/42', '/events/42'],
        ['//events/42?tab=x', '/events/42?tab=x'],
        ['///events//7', '/events/7'],
        ['//', '/'],
      ] as const) {
        const reply = await rawGet(port, path);
        assert.equal(reply.status, 301, path);
        assert.equal(reply.location, location, path);
        const page = await rawGet(port, location);
        assert.equal(page.status, 200, location);
        assert.match(page.body, /<div id="app">/, location);
      }
      // Only the page's routes: anything else behind a doubled slash stays a JSON 404, and
      // never a redirect to another host (//evil.example/ must not become a Location).
      for (const path of ['//api/ping', '//evil.example/', '//events/42/more', '//assets/x.js']) {
        const reply = await rawGet(port, path);
        assert.equal(reply.status, 404, path);
        assert.equal(reply.location, undefined, path);
        assert.equal(JSON.parse(reply.body).error.code, 'NOT_FOUND', path);
      }
    } finally {
      await server.close();
    }
  });

  test('unknown API, webhook and asset paths answer a JSON 404, never the page', async () => {
    for (const url of ['/api/nope', '/webhooks/nope', '/auth/nope', '/assets/missing-abcdef12.js']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.equal(reply.statusCode, 404, url);
      assert.equal(reply.json<{ error: { code: string } }>().error.code, 'NOT_FOUND', url);
    }
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/ping' })).json(), { ok: true });
  });

  test('without a build, / says so with a 503 and a code', async () => {
    const bare = Fastify();
    installErrorHandler(bare);
    await bare.register(dashboardPlugin, { root: '/nonexistent/webpig-dashboard' });
    const reply = await bare.inject({ method: 'GET', url: '/' });
    assert.equal(reply.statusCode, 503);
    assert.equal(reply.json<{ error: { code: string } }>().error.code, 'DASHBOARD_NOT_BUILT');
    await bare.close();
  });
});

/** A GET with the path sent exactly as written (fetch would read `//events` as another host). */
function rawGet(port: number, path: string): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (body += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, location: incoming.headers.location, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
