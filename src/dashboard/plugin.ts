import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { errorBody } from '../core/http-errors.js';

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

/**
 * The page's own routes: a reload or a shared link on one of these gets the page. Everything
 * else that is not an API, webhook, sign-in or built-asset route answers a JSON 404, so a typo
 * or a probe is not told "200, here is the dashboard". Add a route here when the page gains one
 * (Fastify route syntax: `:name` matches one path segment).
 */
export const DASHBOARD_PAGE_ROUTES: readonly string[] = ['/', '/events/:id'];
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

/** A page route as a whole-path pattern (`:name` is one segment), to recognise it behind doubled slashes. */
const PAGE_ROUTE_PATTERNS = DASHBOARD_PAGE_ROUTES.map((route) => new RegExp(`^${route.replace(/:[A-Za-z]+/g, '[^/]+')}$`));

/**
 * A pasted or hand-built link often doubles a slash (`//events/42`), which the router takes as
 * another path. When the path with its slashes collapsed is one of the page's own routes, answer
 * with a redirect there (the page's router only knows single slashes); anything else stays a
 * 404. The target is always one of our own single-slash routes, never `//host`, so this cannot
 * send anyone to another site.
 */
function registerDoubledSlashRedirect(app: FastifyInstance): void {
  app.get('//*', async (request, reply) => {
    const [path = '', query] = splitOnce(request.url, '?');
    const collapsed = path.replace(/\/{2,}/g, '/');
    if (!PAGE_ROUTE_PATTERNS.some((pattern) => pattern.test(collapsed))) {
      return reply.status(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${path}`));
    }
    return reply.redirect(query === undefined ? collapsed : `${collapsed}?${query}`, 301);
  });
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function pageHeaders(reply: FastifyReply): void {
  reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin');
}

/**
 * Serves the built dashboard: hashed assets with a long cache, and `index.html` (never cached,
 * with a strict CSP) on each of DASHBOARD_PAGE_ROUTES, so the page's own routes survive a reload.
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, options) => {
  const root = findDashboardRoot(options.root);
  registerDoubledSlashRedirect(app);
  if (!root) {
    app.log.warn('dashboard not built (run `npm run build`): / answers 503 until it is');
    for (const route of DASHBOARD_PAGE_ROUTES) {
      app.get(route, async (_request, reply) =>
        reply.status(503).send(errorBody('DASHBOARD_NOT_BUILT', 'the dashboard was not built: run `npm run build`')),
      );
    }
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start; anything else is a page route or a 404.
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

  for (const route of DASHBOARD_PAGE_ROUTES) {
    app.get(route, async (_request, reply) => {
      pageHeaders(reply);
      return reply.sendFile('index.html', root, { cacheControl: false });
    });
  }
};
