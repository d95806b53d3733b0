import cookie from '@fastify/cookie';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { ColumnConfig, DashboardConfig, FlagConfig } from '../../config/types.js';
import type { PipelineDefinition } from '../../core/pipeline.js';
import type { SourceKind } from '../../core/source-config.js';
import { singleText } from '../../core/texts.js';
import type { Store } from '../../store/store.js';
import type { ResolvedAuthConfig } from '../auth/config.js';
import { devLoginEnabled, registerAuthRoutes } from '../auth/routes.js';
import { authenticate, type AuthRuntime } from '../auth/session.js';
import { HttpError } from '../http-errors.js';
import { ChangeFeed, registerStreamRoute } from '../sse.js';
import { registerBulkRoutes } from './bulk.js';
import { registerCompatRoutes } from './compat.js';
import { principalOf, requireRouteRights, requireScope, setPrincipal, type ApiContext } from './context.js';
import { pipelineViews, resolveColumns } from './event-view.js';
import { registerEventExportRoute } from './events-export.js';
import { registerEventRoutes } from './events.js';
import { registerFlagRoutes } from './flags.js';
import { registerHomeRoutes } from './home.js';
import { registerMonitoringRoutes } from './monitoring.js';
import { registerAlertRoutes } from './alerts.js';
import { registerReconciliationRoutes } from './reconciliation.js';
import { isPublicApiPath, registerOpenApi } from './openapi.js';
import { replies, useZodContract } from './contract.js';
import { dashboardConfig, me } from '../../core/wire/session.js';
import { changeMessages } from '../../core/wire/stream.js';
import { engineOperations, type EventOperations } from './operations.js';
import { removedSources } from './source-filter.js';

/**
 * The JSON API under /api (docs/api.md) and sign-in under /auth. Register it with
 * `app.register(apiPlugin, options)` on an app that has `installErrorHandler` installed.
 * Every /api route needs credentials (401 otherwise) but its OpenAPI document and the page
 * that browses it; scopes and flag lists are checked per route. Routes declare their schemas
 * with zod (contract.ts); the document is generated from them (openapi.ts).
 */
export interface ApiPluginOptions {
  store: Store;
  /** Its slice of the config, parsed and resolved once at start (src/config/resolve.ts): checked there, not here. */
  config: {
    columns?: ColumnConfig[];
    flags?: FlagConfig[];
    auth: ResolvedAuthConfig;
    pipelines: PipelineDefinition[];
    /**
     * The configured webhook sources (only their names and kinds): a filter by an unknown one is
     * refused, and the page names each by its provider. (Default: not checked)
     */
    sources?: readonly ConfiguredSource[];
    dashboard?: DashboardConfig;
    /** The URL people use to reach the server: the OIDC callback and `Secure` cookies follow it. */
    publicUrl?: string;
    /** (Default: 0.2) */
    stageErrorRate?: number;
    /** (Default: 300) */
    backlogAgeSeconds?: number;
  };
  mode: 'production' | 'demo';
  now?: () => Date;
  /** (Default: the engine's operations, src/engine/operations.ts) */
  operations?: EventOperations;
  /** Poll interval of /api/stream. (Default: 500 ms) */
  streamPollMs?: number;
}

/** A configured source as the API knows it: never its secrets. */
export interface ConfiguredSource {
  name: string;
  kind: SourceKind;
}

const STREAM_SCHEMA = {
  summary: 'Live changes, as server-sent events',
  response: {
    200: {
      description: 'Messages only say what changed; the page refetches the details.',
      content: { 'text/event-stream': { schema: changeMessages } },
    },
  },
};

export async function apiPlugin(app: FastifyInstance, options: ApiPluginOptions): Promise<void> {
  const { store, config, mode } = options;
  const now = options.now ?? (() => new Date());
  const { auth } = config;
  const runtime: AuthRuntime = {
    store,
    auth,
    mode,
    secureCookies: config.publicUrl?.startsWith('https:') ?? false,
    now,
  };
  const ctx: ApiContext = {
    store,
    columns: resolveColumns(config.columns, config.pipelines),
    flags: config.flags ?? [],
    pipelines: config.pipelines,
    sources: config.sources?.map((source) => source.name) ?? null,
    sourceKinds: config.sources ? Object.fromEntries(config.sources.map((source) => [source.name, source.kind])) : null,
    auth,
    mode,
    dashboard: config.dashboard ?? {},
    devLogin: devLoginEnabled(runtime),
    operations: options.operations ?? engineOperations(store, config.pipelines),
    stageErrorRate: config.stageErrorRate ?? 0.2,
    backlogAgeSeconds: config.backlogAgeSeconds ?? 300,
    now,
  };
  await store.ensureFlags(
    ctx.flags.map((f) => ({ key: f.key, description: singleText(f.description), defaultValue: f.default ?? true })),
    now(),
  );

  // The host app may have registered @fastify/cookie already; registering it twice throws.
  if (!app.hasDecorator('parseCookie')) await app.register(cookie);
  app.addHook('onRoute', requireDeclaredRights);
  const api = useZodContract(app);
  await registerOpenApi(api);
  registerAuthRoutes(app, runtime, config.publicUrl ?? null);

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== '/api' && !path.startsWith('/api/')) return;
    if (isPublicApiPath(path)) return;
    const principal = await authenticate(runtime, request);
    if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'sign in or send an API token');
    setPrincipal(request, principal);
    // Rights first: before the body is parsed and anything is validated (context.ts, RouteRights).
    requireRouteRights(request);
  });

  // Replies carry personal data and stored payloads: never cached by a shared cache, never
  // sniffed by a browser into something other than JSON (also the 401/403 error replies).
  app.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== '/api' && !path.startsWith('/api/')) return;
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
  });

  api.get('/api/me', { schema: { summary: 'Who is calling', response: replies(me) } }, async (request) => {
    const principal = principalOf(request);
    return {
      email: principal.email,
      name: principal.name,
      roles: principal.roles,
      scopes: principal.scopes,
      kind: principal.kind,
      csrfToken: principal.csrfToken,
    };
  });

  api.get(
    '/api/config',
    { schema: { summary: "How the page draws this server's columns and pipelines", response: replies(dashboardConfig) } },
    async (request) => {
      principalOf(request);
      return {
        columns: ctx.columns,
        pipelines: pipelineViews(ctx.columns, ctx.pipelines),
        locale: ctx.dashboard.locale === 'en' ? 'en-CO' : 'es-CO',
        timeZone: ctx.dashboard.timeZone ?? 'America/Bogota',
        currency: ctx.dashboard.currency ?? 'COP',
        devLogin: ctx.devLogin,
        sources: ctx.sources ? [...ctx.sources] : null,
        sourceKinds: ctx.sourceKinds,
        removedSources: await removedSources(ctx),
      };
    },
  );

  registerEventRoutes(api, ctx);
  registerEventExportRoute(api, ctx);
  registerBulkRoutes(api, ctx);
  registerFlagRoutes(api, ctx);
  registerMonitoringRoutes(api, ctx);
  registerAlertRoutes(api, ctx);
  registerHomeRoutes(api, ctx);
  registerReconciliationRoutes(api, ctx);
  registerCompatRoutes(api, ctx);
  const feed = new ChangeFeed(store, {
    ...(options.streamPollMs !== undefined ? { pollMs: options.streamPollMs } : {}),
    onError: (err) => app.log.error({ err }, 'change feed poll failed'),
  });
  registerStreamRoute(app, feed, (request) => requireScope(request, 'events:read'), STREAM_SCHEMA);
}

/**
 * A route that changes something or validates what it is sent must declare its rights
 * (`config.rights`), so they are checked before any of it: a route added without them fails at
 * start, not in a read-only token's hands.
 */
export function requireDeclaredRights(route: RouteOptions): void {
  if (!route.url.startsWith('/api/') || isPublicApiPath(route.url)) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const changes = methods.some((method) => method !== 'GET' && method !== 'HEAD');
  const schema = route.schema ?? {};
  const validates = schema.body !== undefined || schema.querystring !== undefined || schema.params !== undefined;
  if ((changes || validates) && route.config?.rights === undefined) {
    throw new Error(`${methods.join(',')} ${route.url} declares no rights (config.rights): they are checked before its request is read`);
  }
}
