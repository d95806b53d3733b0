import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../http-errors.js';
import { LOGIN_COOKIE, LOGIN_TTL_MS, OidcSignIn } from './oidc.js';
import { authenticate, checkPersonAllowed, clearSessionCookie, SESSION_COOKIE, startSession, type AuthRuntime } from './session.js';

/**
 * `/auth/*`: sign-in with OpenID Connect, sign-out, and — in demo mode only — the
 * development sign-in. Outside demo mode `/auth/dev-login` is never registered, so no
 * configuration mistake can switch it on in production.
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
