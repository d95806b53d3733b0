/**
 * Sign-in, roles and API-token configuration (`auth` in webpig.config.ts) as the server's
 * modules use it. It is parsed and resolved once, at start, with the whole config
 * (src/config/resolve.ts); the server receives it resolved and checks nothing again. Its shape
 * (the schema, the scopes, the resolved types) is in src/core/auth-config.ts, re-exported here.
 */
export {
  API_SCOPES,
  apiScopeSchema,
  authConfigSchema,
  DEFAULT_ROLE_SCOPES,
  type ApiScope,
  type AuthConfig,
  type ResolvedAuthConfig,
  type ResolvedOidcConfig,
  type ResolvedRole,
} from '../../core/auth-config.js';
