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

export function requireScope(request: FastifyRequest, scope: ApiScope): Principal {
  const principal = principalOf(request);
  if (!hasScope(principal, scope)) {
    throw new HttpError(403, 'FORBIDDEN', `this needs the ${scope} scope, which ${principal.email} does not have`);
  }
  return principal;
}
