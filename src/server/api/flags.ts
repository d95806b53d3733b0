import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FlagConfig } from '../../config/types.js';
import type { FlagRecord } from '../../core/types.js';
import { textsByLanguage } from '../../core/texts.js';
import { DEFAULT_FLAG_ALLOWED, flagPermission, type Principal } from '../auth/principal.js';
import { HttpError } from '../http-errors.js';
import type { FlagHistoryFilter, ListOptions } from '../../store/store.js';
import { replies, requiredReason, type ApiApp } from './contract.js';
import { principalOf, requireScope, type ApiContext, type RouteRights } from './context.js';
import { timeRange, whoWhatWhen } from './history-filters.js';
import { flagHistory, flagList, flagView as flagViewSchema } from '../../core/wire/flags.js';

/**
 * Flags: list (with whether the caller may change each), change, history. The permission
 * check happens here, on the server, for every change — the hole in the seeds' Web Pig was
 * that only the page checked FLAG_PERMISSIONS.
 */

export type FlagView = z.output<typeof flagViewSchema>;

// The reason is required, as `webpig flags set --reason` requires it: a flag stops or starts
// invoicing for everyone, and the history must say why.
export const changeBody = z.object({ value: z.boolean(), reason: requiredReason('WorldOffice is down until 10:00') }).strict();
const flagKeyParams = z.object({ key: z.string().min(1).max(200) });
const historyQuery = z
  .object({
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .extend(whoWhatWhen);
const allHistoryQuery = historyQuery.extend({ key: z.string().max(200).optional() });

export function flagView(ctx: ApiContext, principal: Principal, flag: FlagRecord): FlagView {
  const config = flagConfig(ctx, flag.key);
  const permission = flagPermission(principal, config, flag.key);
  return {
    ...flag,
    descriptions: textsByLanguage(config?.description),
    canChange: permission.canChange,
    reason: permission.reason,
    allowed: [...(config?.allowed ?? DEFAULT_FLAG_ALLOWED)],
  };
}

function flagConfig(ctx: ApiContext, key: string): FlagConfig | undefined {
  return ctx.flags.find((f) => f.key === key);
}

function requireFlagChange(ctx: ApiContext, request: FastifyRequest, principal: Principal, key: string): void {
  const permission = flagPermission(principal, flagConfig(ctx, key), key);
  if (permission.canChange) return;
  request.log.warn({ actor: principal.email, flag: key }, 'flag change refused');
  throw new HttpError(403, 'FORBIDDEN', `${principal.email} may not change ${key}: ${permission.reason ?? 'not allowed'}`);
}

/** A flag change's rights (the flag's list, from the key in the URL), before its body is read. */
export function flagChangeRights(ctx: ApiContext): RouteRights {
  return (request, principal, params) => requireFlagChange(ctx, request, principal, params.key ?? '');
}

/** Changes a flag after the permission check, and audits it. Shared with the compat route. */
export async function changeFlag(
  ctx: ApiContext,
  request: FastifyRequest,
  key: string,
  input: z.output<typeof changeBody>,
): Promise<FlagView> {
  const principal = principalOf(request);
  requireFlagChange(ctx, request, principal, key);
  const current = await ctx.store.getFlag(key);
  if (!current) throw new HttpError(404, 'FLAG_NOT_FOUND', `no flag ${key}`);
  const now = ctx.now();
  const { flag } = await ctx.store.setFlag({ key, value: input.value, actor: principal.email, reason: input.reason, now });
  await ctx.store.appendAudit({
    actor: principal.email,
    action: 'flag.set',
    target: `flag:${key}`,
    details: { from: current.value, to: input.value, reason: input.reason },
    remoteAddress: request.ip,
    at: now,
  });
  return flagView(ctx, principal, flag);
}

export function registerFlagRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/api/flags',
    {
      config: { rights: 'events:read' },
      schema: { summary: 'Flags, with whether the caller may change each', response: replies(flagList) },
    },
    async (request) => {
      const principal = requireScope(request, 'events:read');
      const flags = await ctx.store.listFlags();
      return { items: flags.map((flag) => flagView(ctx, principal, flag)) };
    },
  );

  const changeSchema = {
    summary: 'Change a flag (the server checks who may)',
    params: flagKeyParams,
    body: changeBody,
    response: replies(flagViewSchema),
  };
  app.put('/api/flags/:key', { config: { rights: flagChangeRights(ctx) }, schema: changeSchema }, async (request) => {
    return changeFlag(ctx, request, request.params.key, request.body);
  });

  const historySchema = {
    summary: "One flag's changes, newest first",
    params: flagKeyParams,
    querystring: historyQuery,
    response: replies(flagHistory),
  };
  app.get('/api/flags/:key/history', { config: { rights: 'events:read' }, schema: historySchema }, async (request) => {
    requireScope(request, 'events:read');
    const {
      params: { key },
      query,
    } = request;
    if (!(await ctx.store.getFlag(key))) throw new HttpError(404, 'FLAG_NOT_FOUND', `no flag ${key}`);
    return ctx.store.flagHistory(key, historyOptions(query));
  });

  // Every flag's changes, newest first, filtered by flag, who and when: the page's history view.
  const allHistorySchema = {
    summary: "Every flag's changes, newest first, filtered",
    querystring: allHistoryQuery,
    response: replies(flagHistory),
  };
  app.get('/api/flag-history', { config: { rights: 'events:read' }, schema: allHistorySchema }, async (request) => {
    requireScope(request, 'events:read');
    const { query } = request;
    return ctx.store.flagHistory(query.key ?? null, historyOptions(query));
  });
}

function historyOptions(query: z.output<typeof historyQuery>): ListOptions & FlagHistoryFilter {
  const options: ListOptions & FlagHistoryFilter = { cursor: query.cursor ?? null, limit: query.limit, ...timeRange(query) };
  if (query.actor) options.actor = query.actor;
  return options;
}
