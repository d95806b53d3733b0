/**
 * One wire contract: the routes' zod schemas are the OpenAPI document. It is generated (nothing
 * hand-written can drift from the routes), readable without credentials (it holds no data), and
 * browsable on a page served from the package's own assets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import cookie from '@fastify/cookie';
import Fastify, { type RouteOptions } from 'fastify';
import { parseAuthConfig } from '../../src/config/auth.js';
import { apiPlugin } from '../../src/server/api/plugin.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { PIPELINE, seedEvent, startApi } from './api-harness.js';

interface Operation {
  parameters?: Array<{ in: string; name: string; schema?: unknown }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { content?: Record<string, { schema: { type?: string; properties?: Record<string, unknown> } }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/** The names of an operation's parameters in one place (path, query), sorted. */
function parameters(operation: Operation, place: string): string[] {
  return (operation.parameters ?? [])
    .filter((p) => p.in === place)
    .map((p) => p.name)
    .sort();
}

async function startPlugin() {
  const { SqliteStore } = await import('../../src/store/sqlite/sqlite-store.js');
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  const app = Fastify();
  installErrorHandler(app);
  // The host app may use cookies itself: the plugin must not register @fastify/cookie twice.
  await app.register(cookie);
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  await app.register(apiPlugin, { store, config: { pipelines: [PIPELINE], auth: parseAuthConfig({}) }, mode: 'production' });
  await app.ready();
  return {
    app,
    routes,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const schemaKeys = (schema: unknown) => Object.keys((schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}).sort();

test('the OpenAPI document, read without credentials, has every route the plugin registers, each with its schemas', async () => {
  const { app, routes, close } = await startPlugin();
  try {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(response.statusCode, 200, response.body);
    const doc = response.json<OpenApiDocument>();
    assert.equal(doc.openapi, '3.1.0');
    const visible = routes.filter((route) => !(route.schema as { hide?: boolean } | undefined)?.hide);
    const registered = visible.flatMap((route) =>
      [route.method]
        .flat()
        .filter((m) => m !== 'HEAD')
        .map((m) => `${m.toLowerCase()} ${openApiPath(route.url)}`),
    );
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    assert.deepEqual([...new Set(registered)].sort(), documented.sort(), 'the document lists exactly the routes registered');
    assert.ok(registered.filter((r) => r.includes(' /api/')).length >= 26, `all the /api routes: ${registered.join(', ')}`);

    for (const route of visible.filter((r) => r.url.startsWith('/api/'))) {
      const schema = route.schema as { params?: unknown; querystring?: unknown; body?: unknown } | undefined;
      for (const method of [route.method].flat().filter((m) => m !== 'HEAD')) {
        const where = `${method} ${route.url}`;
        const operation = doc.paths[openApiPath(route.url)]?.[method.toLowerCase()];
        assert.ok(operation, where);
        const content = operation.responses['200']?.content ?? {};
        if (route.url === '/api/stream') {
          assert.ok(content['text/event-stream']?.schema, `${where}: its messages are described`);
          continue;
        }
        if (route.url === '/api/events/export') {
          assert.ok(content['text/csv']?.schema, `${where}: its file is described`);
          assert.deepEqual(parameters(operation, 'query'), schemaKeys(schema?.querystring), `${where}: its query`);
          continue;
        }
        const ok = content['application/json']?.schema;
        assert.equal(ok?.type, 'object', `${where}: its reply is described`);
        assert.ok(Object.keys(ok?.properties ?? {}).length > 0, `${where}: with its fields`);
        assert.ok(operation.responses['4XX']?.content, `${where}: and the error shape`);
        assert.deepEqual(parameters(operation, 'path'), schemaKeys(schema?.params), `${where}: its path parameters`);
        assert.deepEqual(parameters(operation, 'query'), schemaKeys(schema?.querystring), `${where}: its query`);
        if (method === 'GET') assert.equal(operation.requestBody, undefined, where);
        else assert.ok(operation.requestBody?.content['application/json']?.schema, `${where}: its body`);
      }
    }
    // A sample of what the schemas say, so the test reads the contract and not only its outline.
    const events = doc.paths['/api/events']?.get;
    assert.ok(events?.parameters?.some((p) => p.name === 'limit'));
    const row = events?.responses['200']?.content?.['application/json']?.schema.properties?.items as {
      items: { properties: Record<string, { format?: string }> };
    };
    assert.equal(row.items.properties.receivedAt?.format, 'date-time', 'dates go out as ISO-8601 strings');
    const mute = doc.paths['/api/alerts/{id}/mute']?.post?.requestBody?.content['application/json']?.schema;
    assert.deepEqual(Object.keys(mute?.properties ?? {}).sort(), ['minutes', 'reason']);
  } finally {
    await close();
  }
});

test('the API page is served without credentials, from the package (no CDN)', async () => {
  const { app, close } = await startPlugin();
  try {
    const page = await app.inject({ method: 'GET', url: '/api/docs/' });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//, 'every asset is local');
    const scripts = [...page.body.matchAll(/src="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(scripts.length > 0);
    for (const src of scripts) {
      const asset = await app.inject({ method: 'GET', url: new URL(src, 'http://x/api/docs/').pathname });
      assert.equal(asset.statusCode, 200, src);
    }
    const initializer = await app.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
    assert.equal(initializer.statusCode, 200);
    assert.match(initializer.body, /\/api\/openapi\.json|\.\/json/);
    // The data stays behind credentials.
    assert.equal((await app.inject({ method: 'GET', url: '/api/events' })).statusCode, 401);
  } finally {
    await close();
  }
});

test("docs/api.md's requests work as written: the document without credentials, a list with a token", async () => {
  const guide = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';
  const requests = block.split('\n').filter((line) => line.startsWith('curl '));
  assert.equal(requests.length, 2, block);
  const h = await startApi({ listen: true });
  try {
    await seedEvent(h.store, { finalStatus: 'dead' });
    const { token } = await h.token(['events:read']);
    for (const line of requests) {
      const url = /'?(http:\/\/localhost:3000[^\s']*)'?/.exec(line)?.[1] ?? '';
      const header = /-H "([^:]+): ([^"]+)"/.exec(line);
      const headers: Record<string, string> = header ? { [header[1] ?? '']: (header[2] ?? '').replace('$WEBPIG_TOKEN', token) } : {};
      const response = await fetch(url.replace('http://localhost:3000', h.baseUrl), { headers });
      assert.equal(response.status, 200, `${line}: ${await response.clone().text()}`);
      const body = (await response.json()) as { openapi?: string; items?: Array<{ status: string }> };
      if (url.includes('openapi.json')) assert.equal(body.openapi, '3.1.0');
      else
        assert.deepEqual(
          body.items?.map((item) => item.status),
          ['dead'],
        );
    }
    // The page the guide links to is there too.
    assert.equal((await fetch(`${h.baseUrl}/api/docs/`)).status, 200);
  } finally {
    await h.close();
  }
});
