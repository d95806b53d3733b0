import { createHash, randomBytes } from 'node:crypto';
import { WebpigError } from '../../core/errors.js';
import type { LoginLinkRecord } from '../../store/store.js';
import type { AccessStore } from '../../store/store-roles.js';
import type { ResolvedAuthConfig } from './config.js';
import { isAllowedEmail, rolesFor } from './principal.js';

/**
 * One-time sign-in links, for teams without an identity provider: `webpig login-link <email>`
 * prints `<base>/auth/link?token=wpl_…`. The token is 32 random bytes; only its sha256 is
 * stored, it works once, for 15 minutes, and both its creation and its use are audited.
 */

export const LOGIN_LINK_PATH = '/auth/link';
export const LOGIN_LINK_PREFIX = 'wpl_';
/** (Default: 15 minutes) */
export const LOGIN_LINK_TTL_MS = 15 * 60 * 1000;

/** A person the config does not let in (not named, or without a role): refused before any link exists. */
export class UnknownPersonError extends WebpigError {
  constructor(message: string) {
    super('PERSON_NOT_ALLOWED', message);
  }
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Anything else in the query string is not a token we made: never looked up. */
export function isWellFormedLinkToken(value: unknown): value is string {
  return typeof value === 'string' && /^wpl_[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * Why the config would not let this person in, or null when it would. The same rules as every
 * other sign-in (principal.ts): an allowed domain or a role naming them, and at least one role.
 */
export function whyNotAllowed(auth: ResolvedAuthConfig, email: string): string | null {
  if (!isAllowedEmail(auth, email)) {
    const domains = auth.allowedDomains.length > 0 ? auth.allowedDomains.join(', ') : 'none';
    return `${email} is not in the config: add it to a role's members in auth.roles, or its domain to auth.allowedDomains (now: ${domains})`;
  }
  if (rolesFor(auth, email).length === 0) {
    return `${email} has no role: add it to a role's members in auth.roles (auth.defaultRole is null)`;
  }
  return null;
}

export interface CreatedLoginLink {
  url: string;
  email: string;
  roles: string[];
  expiresAt: Date;
}

export async function createLoginLink(
  store: AccessStore,
  auth: ResolvedAuthConfig,
  input: { email: string; baseUrl: string; createdBy: string; now: Date },
): Promise<CreatedLoginLink> {
  const email = input.email.trim().toLowerCase();
  const refusal = whyNotAllowed(auth, email);
  if (refusal) throw new UnknownPersonError(refusal);
  const token = LOGIN_LINK_PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + LOGIN_LINK_TTL_MS);
  const link = await store.createLoginLink({
    tokenHash: hashLinkToken(token),
    email,
    createdBy: input.createdBy,
    createdAt: input.now,
    expiresAt,
  });
  await store.appendAudit({
    actor: input.createdBy,
    action: 'login_link.create',
    target: `login_link:${link.id}`,
    details: { email, expiresAt: expiresAt.toISOString() },
    at: input.now,
  });
  const url = new URL(LOGIN_LINK_PATH, input.baseUrl);
  url.searchParams.set('token', token);
  return { url: url.href, email, roles: rolesFor(auth, email), expiresAt };
}

export type LinkState = 'valid' | 'used' | 'expired' | 'unknown';

/** What the landing page says about a link, without using it (GET must change nothing). */
export async function inspectLoginLink(
  store: AccessStore,
  token: unknown,
  now: Date,
): Promise<{ state: LinkState; link: LoginLinkRecord | null }> {
  if (!isWellFormedLinkToken(token)) return { state: 'unknown', link: null };
  const link = await store.findLoginLink(hashLinkToken(token));
  if (!link) return { state: 'unknown', link: null };
  if (link.usedAt) return { state: 'used', link };
  if (link.expiresAt.getTime() <= now.getTime()) return { state: 'expired', link };
  return { state: 'valid', link };
}

/** Uses the link (once, atomically) and audits it; null when it is unknown, used or expired. */
export async function redeemLoginLink(
  store: AccessStore,
  token: unknown,
  context: { now: Date; remoteAddress: string | null },
): Promise<LoginLinkRecord | null> {
  if (!isWellFormedLinkToken(token)) return null;
  const link = await store.useLoginLink(hashLinkToken(token), context.now);
  if (!link) return null;
  await store.appendAudit({
    actor: link.email,
    action: 'login_link.use',
    target: `login_link:${link.id}`,
    details: { email: link.email },
    remoteAddress: context.remoteAddress,
    at: context.now,
  });
  return link;
}
