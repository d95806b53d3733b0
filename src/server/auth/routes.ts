import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../http-errors.js';
import { pageLanguage, sendLinkPage, sendLinkRefusal } from './link-page.js';
import { inspectLoginLink, LOGIN_LINK_PATH, redeemLoginLink, whyNotAllowed } from './login-links.js';
import { LOGIN_COOKIE, LOGIN_TTL_MS, OidcSignIn } from './oidc.js';
import { authenticate, checkPersonAllowed, clearSessionCookie, SESSION_COOKIE, startSession, type AuthRuntime } from './session.js';

/**
 * `/auth/*`: sign-in with OpenID Connect or a one-time link, sign-out, which of them this
 * server offers, and — in demo mode only — the development sign-in. Outside demo mode
 * `/auth/dev-login` is never registered, so no configuration mistake can switch it on in
 * production.
 */

/** Only same-site paths: an open redirect after sign-in would hand sessions to phishers. */
function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && value.length <= 2000 && /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : '/';
}

export function devLoginEnabled(runtime: AuthRuntime): boolean {
  return runtime.mode === 'demo' && runtime.auth.devLogin;
}

const devLoginBody = z.object({ email: z.email(), name: z.string().max(200).optional() });

export function registerAuthRoutes(app: FastifyInstance, runtime: AuthRuntime, publicUrl: string | null): void {
  const oidcConfig = runtime.auth.oidc;
  // The config's parse refused auth.oidc without server.publicUrl (src/config/schema.ts).
  const redirectUrl = oidcConfig?.redirectUrl ?? (publicUrl ? new URL('/auth/callback', publicUrl).href : null);
  const signIn = oidcConfig && redirectUrl ? new OidcSignIn(oidcConfig, redirectUrl) : null;
  const loginCookieOptions = {
    path: '/auth',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: runtime.secureCookies,
  };

  app.get('/auth/login', async (request, reply) => {
    if (!signIn) {
      throw new HttpError(404, 'SIGN_IN_NOT_CONFIGURED', 'OpenID Connect sign-in is not configured (auth.oidc and server.publicUrl)');
    }
    const query = request.query as Record<string, unknown>;
    const { url, cookie } = await signIn.start(safeReturnTo(query.returnTo), runtime.now());
    reply.setCookie(LOGIN_COOKIE, cookie, { ...loginCookieOptions, maxAge: LOGIN_TTL_MS / 1000 });
    return reply.redirect(url.href, 302);
  });

  app.get('/auth/callback', async (request, reply) => {
    if (!signIn) throw new HttpError(404, 'SIGN_IN_NOT_CONFIGURED', 'OpenID Connect sign-in is not configured');
    const search = new URL(request.url, 'http://callback.invalid').search;
    const { identity, returnTo } = await signIn.finish(search, request.cookies[LOGIN_COOKIE], runtime.now());
    reply.clearCookie(LOGIN_COOKIE, loginCookieOptions);
    checkPersonAllowed(runtime.auth, identity.email, identity.emailVerified);
    await startSession(runtime, reply, { email: identity.email, name: identity.name, kind: 'session' });
    return reply.redirect(returnTo, 302);
  });

  // Public: the sign-in page asks which buttons to show before anyone is signed in.
  app.get('/auth/methods', async () => ({ oidc: signIn !== null, devLogin: devLoginEnabled(runtime), loginLink: true }));

  registerLoginLinkRoutes(app, runtime, publicUrl);

  app.post('/auth/logout', async (request, reply) => {
    // authenticate() enforces the CSRF token for a live session.
    const principal = await authenticate(runtime, request);
    const sessionId = request.cookies[SESSION_COOKIE];
    if (principal?.sessionId && sessionId) await runtime.store.deleteSession(sessionId);
    clearSessionCookie(runtime, reply);
    return reply.status(204).send();
  });

  if (devLoginEnabled(runtime)) {
    app.post('/auth/dev-login', async (request, reply) => {
      const parsed = devLoginBody.safeParse(request.body);
      if (!parsed.success) throw new HttpError(400, 'INVALID_REQUEST', 'body must be {"email": "someone@allowed.domain"}');
      const email = parsed.data.email.toLowerCase();
      checkPersonAllowed(runtime.auth, email, true);
      request.log.warn({ email }, 'development sign-in (demo mode)');
      const session = await startSession(runtime, reply, { email, name: parsed.data.name ?? null, kind: 'dev' });
      return { email: session.email, roles: session.roles, csrfToken: session.csrfToken, kind: 'dev' };
    });
  }
}

/**
 * Whether the request says it comes from a page of another origin. The link page's own form
 * sends this server's origin: `server.publicUrl`'s, or the host the request was sent to (the
 * page was opened there). No Origin at all is a client that is no browser (curl), which no
 * other site can drive. `null` is an opaque origin (a sandboxed frame on anyone's page): foreign.
 */
function foreignOrigin(request: FastifyRequest, publicUrl: string | null): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  if (publicUrl !== null && origin === new URL(publicUrl).origin) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true;
  }
  return origin === 'null' || host !== request.host.toLowerCase();
}

/**
 * GET shows the link's page (changing nothing, so a link scanner cannot use it up); the page's
 * button POSTs the token, which uses the link once and starts a session.
 */
function registerLoginLinkRoutes(app: FastifyInstance, runtime: AuthRuntime, publicUrl: string | null): void {
  app.get(LOGIN_LINK_PATH, async (request, reply) => {
    const language = pageLanguage(request);
    const token = (request.query as Record<string, unknown>).token;
    const now = runtime.now();
    const { state, link } = await inspectLoginLink(runtime.store, token, now);
    const minutesLeft = link ? Math.max(1, Math.ceil((link.expiresAt.getTime() - now.getTime()) / 60_000)) : 0;
    return sendLinkPage(reply, language, { state, email: link?.email ?? null, token: typeof token === 'string' ? token : '', minutesLeft });
  });

  // The form posts application/x-www-form-urlencoded; only this route (its own scope) reads it.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    scope.post(LOGIN_LINK_PATH, async (request, reply) => {
      const language = pageLanguage(request);
      // A form posted from another site would sign this browser in as someone else (login CSRF).
      // The page's own form is same-origin; 'same-site' is a sibling host (another subdomain of
      // the company's domain, which may serve anyone's pages), refused as well.
      // Sec-Fetch-Site is sent by current browsers only; Origin by every browser on a form POST.
      const site = request.headers['sec-fetch-site'];
      if (site === 'cross-site' || site === 'same-site' || foreignOrigin(request, publicUrl)) {
        return sendLinkRefusal(reply, language, 'crossSite');
      }
      const body = request.body as Record<string, unknown> | undefined;
      const now = runtime.now();
      const token = body?.token;
      const link = await redeemLoginLink(runtime.store, token, { now, remoteAddress: request.ip });
      if (!link) {
        const { state } = await inspectLoginLink(runtime.store, token, now);
        return sendLinkRefusal(reply, language, state === 'valid' ? 'used' : state);
      }
      // The config may have changed since the link was printed: the person must still be in it.
      if (whyNotAllowed(runtime.auth, link.email)) return sendLinkRefusal(reply, language, 'removed');
      await startSession(runtime, reply, { email: link.email, name: null, kind: 'session' });
      return reply.redirect('/', 303);
    });
  });
}
