import { ConfigError } from '../../core/errors.js';
import { authConfigSchema, DEFAULT_ROLE_SCOPES, type ApiScope, type AuthConfig } from '../../core/auth-config.js';

/**
 * Sign-in, roles and API-token configuration (`auth` in webpig.config.ts), validated once at
 * start by `parseAuthConfig`, whose messages name the field at fault. Its shape (the schema and
 * the scopes) is in src/core/auth-config.ts, re-exported here for the server's modules.
 */
export {
  API_SCOPES,
  apiScopeSchema,
  authConfigSchema,
  DEFAULT_ROLE_SCOPES,
  type ApiScope,
  type AuthConfig,
} from '../../core/auth-config.js';

export interface ResolvedRole {
  members: string[];
  scopes: ApiScope[];
}

export interface ResolvedOidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string | null;
  scope: string;
}

/** The validated auth configuration, with defaults applied and the client secret resolved. */
export interface ResolvedAuthConfig {
  oidc: ResolvedOidcConfig | null;
  allowedDomains: string[];
  roles: Record<string, ResolvedRole>;
  defaultRole: string | null;
  sessionTtlMs: number;
  devLogin: boolean;
}

const resolvedConfigs = new WeakSet<object>();

/** True for what parseAuthConfig returned (so it is not parsed twice). */
export function isResolvedAuthConfig(value: AuthConfig | ResolvedAuthConfig): value is ResolvedAuthConfig {
  return resolvedConfigs.has(value);
}

export function parseAuthConfig(input: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedAuthConfig {
  const parsed = authConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['auth', ...(issue?.path ?? [])].join('.');
    throw new ConfigError(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  const value = parsed.data;
  const roles: Record<string, ResolvedRole> = {};
  for (const [name, role] of Object.entries(value.roles)) {
    const scopes = role.scopes ?? DEFAULT_ROLE_SCOPES[name];
    if (!scopes) {
      throw new ConfigError(`auth.roles.${name}.scopes: a role other than admin, operator or viewer must list its scopes`);
    }
    roles[name] = { members: role.members.map((m) => m.toLowerCase()), scopes: [...scopes] };
  }
  for (const name of ['admin', 'operator', 'viewer']) {
    roles[name] ??= { members: [], scopes: [...(DEFAULT_ROLE_SCOPES[name] ?? [])] };
  }
  if (value.defaultRole !== null && !roles[value.defaultRole]) {
    throw new ConfigError(`auth.defaultRole: "${value.defaultRole}" is not a configured role`);
  }
  let oidc: ResolvedOidcConfig | null = null;
  if (value.oidc) {
    const clientSecret = value.oidc.clientSecret ?? env[value.oidc.clientSecretEnv];
    if (!clientSecret) {
      throw new ConfigError(
        `auth.oidc.clientSecret: not set; put it in the environment variable ${value.oidc.clientSecretEnv}`,
      );
    }
    oidc = {
      issuer: value.oidc.issuer,
      clientId: value.oidc.clientId,
      clientSecret,
      redirectUrl: value.oidc.redirectUrl ?? null,
      scope: value.oidc.scope,
    };
  }
  const resolved: ResolvedAuthConfig = {
    oidc,
    allowedDomains: value.allowedDomains.map((d) => d.toLowerCase().replace(/^@/, '')),
    roles,
    defaultRole: value.defaultRole,
    sessionTtlMs: value.sessionTtlMs,
    devLogin: value.devLogin,
  };
  resolvedConfigs.add(resolved);
  return resolved;
}
