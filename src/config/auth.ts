import { ConfigError } from '../core/errors.js';
import {
  authConfigSchema,
  DEFAULT_ROLE_SCOPES,
  type ResolvedAuthConfig,
  type ResolvedOidcConfig,
  type ResolvedRole,
} from '../core/auth-config.js';
import type { z } from 'zod';

type ParsedAuthConfig = z.output<typeof authConfigSchema>;

/**
 * `auth` as the server uses it: the three built-in roles present, members and domains
 * lower-cased, the OIDC client secret read from the environment when the file does not give it.
 * The input was parsed already (with the whole config); only the secret can still be missing.
 */
export function resolveAuthConfig(auth: ParsedAuthConfig, env: NodeJS.ProcessEnv): ResolvedAuthConfig {
  const roles: Record<string, ResolvedRole> = {};
  for (const [name, role] of Object.entries(auth.roles)) {
    roles[name] = { members: role.members.map((m) => m.toLowerCase()), scopes: [...(role.scopes ?? DEFAULT_ROLE_SCOPES[name] ?? [])] };
  }
  for (const name of ['admin', 'operator', 'viewer']) {
    roles[name] ??= { members: [], scopes: [...(DEFAULT_ROLE_SCOPES[name] ?? [])] };
  }
  return {
    oidc: auth.oidc ? resolveOidc(auth.oidc, env) : null,
    allowedDomains: auth.allowedDomains.map((d) => d.toLowerCase().replace(/^@/, '')),
    roles,
    defaultRole: auth.defaultRole,
    sessionTtlMs: auth.sessionTtlMs,
    devLogin: auth.devLogin,
  };
}

function resolveOidc(oidc: NonNullable<ParsedAuthConfig['oidc']>, env: NodeJS.ProcessEnv): ResolvedOidcConfig {
  const clientSecret = oidc.clientSecret ?? env[oidc.clientSecretEnv];
  if (!clientSecret) {
    throw new ConfigError(`auth.oidc.clientSecret: not set; put it in the environment variable ${oidc.clientSecretEnv}`, {
      code: 'CONFIG_INVALID',
    });
  }
  return { issuer: oidc.issuer, clientId: oidc.clientId, clientSecret, redirectUrl: oidc.redirectUrl ?? null, scope: oidc.scope };
}

/**
 * Only the `auth` section, parsed and resolved: for tests and tools that build the API without
 * a whole config. The same schema and resolution as the config's one parse.
 */
export function parseAuthConfig(input: unknown, env: NodeJS.ProcessEnv = {}): ResolvedAuthConfig {
  const parsed = authConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['auth', ...(issue?.path ?? []).map(String)].join('.');
    throw new ConfigError(`${field}: ${issue?.message ?? 'invalid'}`, { code: 'CONFIG_INVALID' });
  }
  return resolveAuthConfig(parsed.data, env);
}
