import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionRecord } from '../../core/types.js';
import type { AccessStore } from '../../store/store-roles.js';
import { HttpError } from '../http-errors.js';
import type { ResolvedAuthConfig } from './config.js';
import { isAllowedEmail, rolesFor, scopesForRoles, type Principal } from './principal.js';
import { principalForToken } from './tokens.js';

/** What the auth routes and the API's authentication hook share. */
export interface AuthRuntime {
  store: AccessStore;
  auth: ResolvedAuthConfig;
  mode: 'production' | 'demo';
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  now: () => Date;
}

export const SESSION_COOKIE = 'webpig_session';
/** Development sessions carry this id prefix, so /api/me can say `kind: "dev"` honestly. */
const DEV_SESSION_PREFIX = 'dev_';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function startSession(
  runtime: AuthRuntime,
  reply: FastifyReply,
  person: { email: string; name: string | null; kind: 'session' | 'dev' },
): Promise<SessionRecord> {
  const now = runtime.now();
  const id = (person.kind === 'dev' ? DEV_SESSION_PREFIX : '') + randomBytes(32).toString('base64url');
  const session: SessionRecord = {
    id,
    email: person.email.toLowerCase(),
    name: person.name,
    roles: rolesFor(runtime.auth, person.email),
    csrfToken: randomBytes(24).toString('base64url'),
    createdAt: now,
    expiresAt: new Date(now.getTime() + runtime.auth.sessionTtlMs),
  };
  await runtime.store.createSession(session);
  reply.setCookie(SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: runtime.secureCookies,
    expires: session.expiresAt,
  });
  return session;
}

export function clearSessionCookie(runtime: AuthRuntime, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: runtime.secureCookies });
}

/** Refuses people outside the allowed domains, with unverified e-mail, or with no role. */
export function checkPersonAllowed(auth: ResolvedAuthConfig, email: string, emailVerified: boolean): void {
  if (!emailVerified) throw new HttpError(403, 'EMAIL_NOT_VERIFIED', `${email} is not verified by the sign-in provider`);
  if (!isAllowedEmail(auth, email)) {
    throw new HttpError(403, 'DOMAIN_NOT_ALLOWED', `${email} is not in an allowed domain`);
  }
  if (rolesFor(auth, email).length === 0) throw new HttpError(403, 'NO_ROLE', `${email} has no role in webpig`);
}

function principalForSession(runtime: AuthRuntime, session: SessionRecord): Principal | null {
  // Re-checked on every request: a domain or role removed from the config locks people out at once.
  if (!isAllowedEmail(runtime.auth, session.email)) return null;
  const roles = rolesFor(runtime.auth, session.email);
  if (roles.length === 0) return null;
  return {
    kind: session.id.startsWith(DEV_SESSION_PREFIX) ? 'dev' : 'session',
    email: session.email,
    name: session.name,
    roles,
    scopes: scopesForRoles(runtime.auth, roles),
    csrfToken: session.csrfToken,
    sessionId: session.id,
    tokenId: null,
  };
}

/**
 * Who is calling: a bearer token first (machines), else the session cookie (people), else
 * null. A cookie-authenticated request that changes something must carry the session's CSRF
 * token in `x-csrf-token` (403 otherwise); bearer tokens are never sent by a browser on its
 * own, so they need none.
 */
export async function authenticate(runtime: AuthRuntime, request: FastifyRequest): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new HttpError(401, 'UNAUTHENTICATED', 'the Authorization header must be "Bearer wp_…"');
    const principal = await principalForToken(runtime.store, match[1], runtime.now());
    if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'unknown or revoked API token');
    return principal;
  }
  const sessionId = request.cookies[SESSION_COOKIE];
  if (!sessionId) return null;
  const session = await runtime.store.getSession(sessionId, runtime.now());
  if (!session) return null;
  const principal = principalForSession(runtime, session);
  if (principal && !SAFE_METHODS.has(request.method)) requireCsrf(request, session.csrfToken);
  return principal;
}

function requireCsrf(request: FastifyRequest, expected: string): void {
  const given = request.headers['x-csrf-token'];
  // Bytes, not characters, are compared: a header of the right length in characters with a
  // non-ASCII one among them is longer in bytes, and timingSafeEqual threw (a 500, not a 403).
  const givenBytes = Buffer.from(typeof given === 'string' ? given : '');
  const expectedBytes = Buffer.from(expected);
  const ok = givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
  if (!ok) {
    throw new HttpError(403, 'CSRF_TOKEN_INVALID', 'missing or wrong x-csrf-token header (see csrfToken in GET /api/me)');
  }
}
