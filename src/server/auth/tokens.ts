import { createHash, randomBytes } from 'node:crypto';
import type { ApiTokenRecord } from '../../core/types.js';
import type { AccessStore } from '../../store/store-roles.js';
import { apiScopeSchema, type ApiScope } from './config.js';
import { expandScopes, type Principal } from './principal.js';
import { ConfigError } from '../../core/errors.js';

/**
 * API tokens for machines: `wp_` + 32 random bytes (base64url). Only the sha256 of a token is
 * stored, so a stolen database holds no usable token; the token itself is shown once.
 */

export const TOKEN_PREFIX = 'wp_';
const TOUCH_EVERY_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function parseScopes(scopes: string[]): ApiScope[] {
  if (scopes.length === 0) throw new ConfigError('a token needs at least one scope', { code: 'TOKEN_SCOPE_MISSING' });
  return scopes.map((scope) => {
    const parsed = apiScopeSchema.safeParse(scope);
    if (!parsed.success) {
      throw new ConfigError(`unknown scope "${scope}"; expected one of ${apiScopeSchema.options.join(', ')}`, {
        code: 'TOKEN_SCOPE_UNKNOWN',
      });
    }
    return parsed.data;
  });
}

export async function createApiToken(
  store: AccessStore,
  input: { name: string; scopes: string[]; createdBy: string; now: Date },
): Promise<{ token: string; record: ApiTokenRecord }> {
  if (!input.name.trim()) throw new ConfigError('a token needs a name', { code: 'TOKEN_NAME_MISSING' });
  const scopes = parseScopes(input.scopes);
  const token = generateToken();
  const record = await store.createApiToken({
    name: input.name.trim(),
    tokenHash: hashToken(token),
    scopes,
    createdBy: input.createdBy,
    now: input.now,
  });
  await store.appendAudit({
    actor: input.createdBy,
    action: 'token.create',
    target: `token:${record.id}`,
    details: { name: record.name, scopes },
    at: input.now,
  });
  return { token, record };
}

/** The principal for a bearer token, or null when it is unknown, revoked or malformed. */
export async function principalForToken(store: AccessStore, token: string, now: Date): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const record = await store.findApiTokenByHash(hashToken(token));
  if (!record || record.revokedAt) return null;
  // At most one write a minute per token: "last used" does not need every request's time.
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await store.touchApiToken(record.id, now);
  }
  const scopes = expandScopes(record.scopes.filter((s): s is ApiScope => apiScopeSchema.safeParse(s).success));
  return {
    kind: 'token',
    email: `token:${record.name}`,
    name: record.name,
    roles: scopes.includes('admin') ? ['admin'] : [],
    scopes,
    csrfToken: null,
    sessionId: null,
    tokenId: record.id,
  };
}
