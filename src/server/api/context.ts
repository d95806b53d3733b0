import type { FastifyRequest } from 'fastify';
import type { DashboardConfig, FlagConfig } from '../../config/types.js';
import type { PipelineDefinition } from '../../core/pipeline.js';
import type { SourceKind } from '../../core/source-config.js';
import type { Store } from '../../store/store.js';
import type { ApiScope, ResolvedAuthConfig } from '../auth/config.js';
import { hasScope, type Principal } from '../auth/principal.js';
import { HttpError } from '../http-errors.js';
import type { ResolvedColumn } from './event-view.js';
import type { EventOperations } from './operations.js';

/** What every /api route module receives from the plugin. */
export interface ApiContext {
  store: Store;
  columns: ResolvedColumn[];
  flags: FlagConfig[];
  pipelines: PipelineDefinition[];
  /**
   * The configured webhook sources' names: a filter by another source is refused, as one by an
   * unknown pipeline is. Null when the plugin was not told them (then any name is accepted).
   */
  sources: readonly string[] | null;
  /** Each configured source's provider kind, by name (GET /api/config); null like `sources`. */
  sourceKinds: Readonly<Record<string, SourceKind>> | null;
  auth: ResolvedAuthConfig;
  mode: 'production' | 'demo';
  dashboard: DashboardConfig;
  devLogin: boolean;
  operations: EventOperations;
  /** (Default: 0.2) */
  stageErrorRate: number;
  /** The oldest queued event waiting longer than this is a `backlog` alert. */
  backlogAgeSeconds: number;
  now: () => Date;
}

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** The caller of an /api route; the authentication hook guarantees there is one. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'sign in or send an API token');
  return principal;
}

/**
 * Who may call a route, declared in its `config.rights` and checked right after authentication
 * (the plugin's onRequest hook): before the body is parsed and the params, query and body are
 * validated, so a caller without the rights gets 403 whatever they sent, never a 400 that tells
 * them how to word a request they may not make. The handler still checks what depends on the
 * body (a bulk retry or re-run).
 * - a scope: the caller needs it; several: any one of them.
 * - a function: a check of its own (a flag's list of who may change it), given the raw params;
 *   it throws the 403.
 */
export type RouteRights =
  | ApiScope
  | readonly ApiScope[]
  | ((request: FastifyRequest, principal: Principal, params: Readonly<Record<string, string | undefined>>) => void);

declare module 'fastify' {
  interface FastifyContextConfig {
    rights?: RouteRights;
  }
}

/** The route's declared rights, for the caller authenticated on this request (403 otherwise). */
export function requireRouteRights(request: FastifyRequest): void {
  const rights = request.routeOptions.config.rights;
  if (rights === undefined) return;
  const principal = principalOf(request);
  if (typeof rights === 'function') {
    rights(request, principal, request.params as Record<string, string | undefined>);
    return;
  }
  const scopes: readonly ApiScope[] = typeof rights === 'string' ? [rights] : rights;
  if (scopes.some((scope) => hasScope(principal, scope))) return;
  throw new HttpError(403, 'FORBIDDEN', `this needs the ${scopes.join(' or ')} scope, which ${principal.email} does not have`);
}

export function requireScope(request: FastifyRequest, scope: ApiScope): Principal {
  const principal = principalOf(request);
  if (!hasScope(principal, scope)) {
    throw new HttpError(403, 'FORBIDDEN', `this needs the ${scope} scope, which ${principal.email} does not have`);
  }
  return principal;
}
