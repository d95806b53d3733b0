import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { errorBody, HttpError } from '../server/http-errors.js';

export interface DashboardPluginOptions {
  /**
   * Folder holding the built page (`vite build`). (Default: `dist/` beside this module, else
   * the package's `src/dashboard/dist/`, which is where `npm run build` writes it)
   */
  root?: string;
}

/**
 * The page may only run scripts and styles from its own origin and only talk to it: a payload
 * that somehow reached the DOM as markup still could not run (the page itself never does that).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Paths that belong to the server, never to the page: unknown ones get a JSON 404. */
const SERVER_PREFIXES = ['/api', '/webhooks', '/auth', '/metrics', '/healthz'];
/** Vite names built assets by content hash, so they can be cached for a year. */
const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{6,}\.[a-z0-9]+$/;

export function findDashboardRoot(explicit?: string): string | null {
  const candidates = explicit
    ? [explicit]
    : [
        fileURLToPath(new URL('./dist/', import.meta.url)),
        // Compiled to dist/src/dashboard/plugin.js: the build output stays in src/dashboard/dist.
        fileURLToPath(new URL('../../../src/dashboard/dist/', import.meta.url)),
      ];
  return candidates.find((candidate) => existsSync(`${candidate.replace(/\/$/, '')}/index.html`)) ?? null;
}

function belongsToServer(path: string): boolean {
  return SERVER_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function pageHeaders(reply: FastifyReply): void {
  reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin');
}

/**
 * Serves the built dashboard at `/`: hashed assets with a long cache, `index.html` (never
 * cached, with a strict CSP) for every other GET that is not an API, webhook or auth path, so
 * the page's own routes survive a reload.
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, options) => {
  const root = findDashboardRoot(options.root);
  if (!root) {
    app.log.warn('dashboard not built (run `npm run build`): / answers 503 until it is');
    app.get('/', async (_request, reply) =>
      reply.status(503).send(errorBody('DASHBOARD_NOT_BUILT', 'the dashboard was not built: run `npm run build`')),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start; everything else falls through to the page.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      if (HASHED_ASSET.test(path)) {
        reply.header('cache-control', 'public, max-age=31536000, immutable');
      } else {
        pageHeaders(reply);
      }
      reply.header('x-content-type-options', 'nosniff');
    },
  });

  const sendPage = async (path: string, reply: FastifyReply) => {
    if (belongsToServer(path) || path.startsWith('/assets/')) {
      throw new HttpError(404, 'NOT_FOUND', `no route for GET ${path}`);
    }
    pageHeaders(reply);
    return reply.sendFile('index.html', root, { cacheControl: false });
  };
  app.get('/', async (_request, reply) => sendPage('/', reply));
  // A shared link to one event opens its panel: a page route of its own, so it keeps working
  // when unknown paths answer 404.
  app.get('/events/:id', async (_request, reply) => sendPage('/events', reply));
  app.get('/*', async (request, reply) => sendPage(request.url.split('?')[0] ?? '/', reply));
};
