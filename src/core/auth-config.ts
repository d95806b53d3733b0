import { z } from 'zod';
import { strictFields } from './strict-fields.js';

/**
 * The shape of the sign-in, roles and API-token configuration (`auth` in webpig.config.ts), and
 * of what the server receives once it is resolved. It lives in core because the server and the
 * config both read it; it is parsed once, at start, with the whole config (src/config/), whose
 * messages name the field at fault.
 */

/** What an API token or a role may do. `admin` includes every other scope. */
export const API_SCOPES = ['events:read', 'events:retry', 'stages:rerun', 'flags:write', 'audit:read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const apiScopeSchema = z.enum(API_SCOPES);

/** Scopes of the well-known roles, used when a role in the config does not list its own. */
export const DEFAULT_ROLE_SCOPES: Readonly<Record<string, readonly ApiScope[]>> = {
  admin: ['admin'],
  operator: ['events:read', 'events:retry', 'stages:rerun', 'flags:write', 'audit:read'],
  viewer: ['events:read'],
};

export const DEFAULT_CLIENT_SECRET_ENV = 'WEBPIG_OIDC_CLIENT_SECRET';

/**
 * Only people sign in through a role (API tokens carry their own scopes): anything but an
 * e-mail address there would grant nothing without a word.
 */
const memberSchema = z.string().regex(/^[^@\s]+@[^@\s]+$/, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an e-mail address: a role's members are the addresses people sign in with ` +
    '(an API token gets its scopes from webpig tokens create --scope)',
});

const roleSchema = strictFields({
  /** E-mail addresses of the people in this role (compared case-insensitively). */
  members: z.array(memberSchema).default([]),
  /** (Default: admin → all; operator → everything but admin; viewer → events:read) */
  scopes: z.array(apiScopeSchema).optional(),
});

const oidcSchema = strictFields({
  /** The provider's issuer URL, e.g. https://accounts.google.com */
  issuer: z.url(),
  clientId: z.string().min(1),
  /**
   * The client secret. Read it from the environment in webpig.config.ts; when absent it is
   * taken from the variable named by `clientSecretEnv`.
   */
  clientSecret: z.string().min(1).optional(),
  /** (Default: WEBPIG_OIDC_CLIENT_SECRET) */
  clientSecretEnv: z.string().min(1).default(DEFAULT_CLIENT_SECRET_ENV),
  /** (Default: `<server.publicUrl>/auth/callback`) */
  redirectUrl: z.url().optional(),
  /** (Default: "openid email profile") */
  scope: z.string().default('openid email profile'),
});

export const authConfigSchema = strictFields({
  oidc: oidcSchema.optional(),
  /**
   * E-mail domains allowed to sign in, e.g. ["sentiretaller.com"]. People named in a role's
   * members may sign in whatever their domain. (Default: none)
   */
  allowedDomains: z.array(z.string().min(1)).default([]),
  /** Role name → its members and scopes. */
  roles: z.record(z.string().min(1), roleSchema).default({}),
  /** Role of a signed-in person who is in no role; null refuses them. (Default: "viewer") */
  defaultRole: z.string().min(1).nullable().default('viewer'),
  /** (Default: 12 hours) */
  sessionTtlMs: z
    .number()
    .int()
    .positive()
    .default(12 * 60 * 60 * 1000),
  /**
   * The demo's development sign-in (`POST /auth/dev-login`). Honoured only when the server
   * runs in demo mode; in production the route does not exist whatever this says. (Default: false)
   */
  devLogin: z.boolean().default(false),
}).superRefine((auth, ctx) => {
  const roles = new Set(['admin', 'operator', 'viewer', ...Object.keys(auth.roles)]);
  for (const [name, role] of Object.entries(auth.roles)) {
    if (role.scopes === undefined && DEFAULT_ROLE_SCOPES[name] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['roles', name, 'scopes'],
        message: `a role other than admin, operator or viewer must list its scopes (e.g. scopes: ['events:read'])`,
      });
    }
  }
  if (auth.defaultRole !== null && !roles.has(auth.defaultRole)) {
    ctx.addIssue({
      code: 'custom',
      path: ['defaultRole'],
      message: `"${auth.defaultRole}" is not a configured role; the roles are ${[...roles].join(', ')}`,
    });
  }
});

/** What webpig.config.ts writes under `auth` (before defaults). */
export type AuthConfig = z.input<typeof authConfigSchema>;

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

/**
 * `auth` resolved (src/config/auth.ts): defaults applied, the three built-in roles present,
 * members and domains lower-cased, the OIDC client secret read. What the server receives.
 */
export interface ResolvedAuthConfig {
  oidc: ResolvedOidcConfig | null;
  allowedDomains: string[];
  roles: Record<string, ResolvedRole>;
  defaultRole: string | null;
  sessionTtlMs: number;
  devLogin: boolean;
}
