import type { FlagConfig } from '../../config/types.js';
import { API_SCOPES, type ApiScope, type ResolvedAuthConfig } from './config.js';

/**
 * Who is calling, and what they may do. Roles are recomputed from the configuration on every
 * request (not frozen into the session), so removing someone from a role takes effect at once.
 */
export interface Principal {
  kind: 'session' | 'token' | 'dev';
  /** A person's e-mail, or `token:<name>` for an API token. */
  email: string;
  name: string | null;
  roles: string[];
  scopes: ApiScope[];
  /** Null for API tokens: they are not sent by browsers, so CSRF does not apply. */
  csrfToken: string | null;
  sessionId: string | null;
  tokenId: number | null;
}

export function emailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1).toLowerCase();
}

/**
 * In an allowed domain, or named in a role's members: naming someone is a deliberate grant,
 * so a team without its own domain (gmail addresses) can still list its people.
 */
export function isAllowedEmail(config: ResolvedAuthConfig, email: string): boolean {
  const lower = email.toLowerCase();
  return config.allowedDomains.includes(emailDomain(lower)) || Object.values(config.roles).some((role) => role.members.includes(lower));
}

/** The roles of a person: those listing their e-mail, else the default role (maybe none). */
export function rolesFor(config: ResolvedAuthConfig, email: string): string[] {
  const lower = email.toLowerCase();
  const roles = Object.entries(config.roles)
    .filter(([, role]) => role.members.includes(lower))
    .map(([name]) => name);
  if (roles.length === 0 && config.defaultRole) roles.push(config.defaultRole);
  return roles;
}

export function scopesForRoles(config: ResolvedAuthConfig, roles: string[]): ApiScope[] {
  const scopes = new Set<ApiScope>();
  for (const role of roles) for (const scope of config.roles[role]?.scopes ?? []) scopes.add(scope);
  return expandScopes([...scopes]);
}

/** `admin` includes every scope; listing them all keeps checks and /api/me simple. */
export function expandScopes(scopes: readonly ApiScope[]): ApiScope[] {
  return scopes.includes('admin') ? [...API_SCOPES] : [...new Set(scopes)];
}

export function hasScope(principal: Principal, scope: ApiScope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

export interface FlagPermission {
  canChange: boolean;
  /** Why not, in words for the person: null when they may. */
  reason: string | null;
}

/** (Default list when a flag has none: the `admin` role.) */
export const DEFAULT_FLAG_ALLOWED: readonly string[] = ['admin'];

/**
 * The seeds' FLAG_PERMISSIONS, enforced here for every change. A flag's `allowed` list names
 * roles and/or e-mail addresses; an API token is named `token:<name>`, and a token with the
 * `admin` scope counts as the admin role. For people the list alone decides (naming someone
 * on a flag is a deliberate grant); a token must also carry the `flags:write` scope. The list
 * is authoritative: being an admin does not bypass a list that does not name admins.
 */
export function flagPermission(principal: Principal, flag: FlagConfig | undefined, key: string): FlagPermission {
  if (principal.kind === 'token' && !hasScope(principal, 'flags:write')) {
    return { canChange: false, reason: 'this token lacks the flags:write scope' };
  }
  const allowed = (flag?.allowed ?? DEFAULT_FLAG_ALLOWED).map((entry) => entry.toLowerCase());
  const email = principal.email.toLowerCase();
  const onList = allowed.includes(email) || principal.roles.some((role) => allowed.includes(role.toLowerCase()));
  if (onList) return { canChange: true, reason: null };
  return { canChange: false, reason: `only ${allowed.join(', ')} may change ${key}` };
}
