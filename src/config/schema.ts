import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { definePipeline, type PipelineDefinition } from '../core/pipeline.js';
import type { WebpigConfig } from '../core/config.js';
import { authConfigSchema } from '../core/auth-config.js';
import { sourceConfigSchema } from '../core/source-config.js';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from '../core/duration.js';

/**
 * The structural check of `webpig.config.ts`, done once at start. Pipelines hold functions,
 * so zod only checks their shape here; `definePipeline` checks their stages. Every message
 * names the field at fault, e.g. `server.port: expected a number from 0 to 65535`.
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, _ and - only');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

const stageSchema = z.looseObject({
  name: z.string().min(1),
  run: fn,
  dependsOn: z.array(z.string()).optional(),
  flag: z.string().optional(),
  column: z.string().optional(),
  timeoutMs: z.number().positive().optional(),
});

/** A column's label: one text, or texts by language (es, en), like a stage's label. */
const columnLabel = z.union([
  z.string().min(1),
  z.strictObject({ es: z.string().min(1).optional(), en: z.string().min(1).optional() }).refine(
    (texts) => texts.es !== undefined || texts.en !== undefined,
    'give a text, or { es: "texto", en: "text" }',
  ),
]);

const pipelineSchema = z.looseObject({
  name: z.string().min(1),
  match: fn,
  stages: z.array(stageSchema).min(1),
});

const duration = z
  .string()
  .refine((text) => DURATION_PATTERN.test(text) && parseDuration(text) !== null, `must be ${DURATION_HINT} (more than zero)`);

/** `reconcile.<source>` (docs/reconcile.md). */
const reconcileSchema = z
  .object({
    every: duration.optional(),
    lookBack: duration.optional(),
    apiBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    apiKey: z.string().min(1, 'may not be empty').optional(),
    types: z.array(z.string().min(1)).max(20, 'Stripe lists at most 20 types at once').optional(),
    references: fn.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    database: z.string().min(1).optional(),
    sources: z.array(sourceConfigSchema),
    pipelines: z.array(pipelineSchema),
    columns: z.array(z.object({ key: name, label: columnLabel })).optional(),
    flags: z
      .array(
        z.object({
          key: z.string().regex(/^[A-Z0-9_]+$/, 'UPPER_SNAKE_CASE'),
          description: z.string(),
          default: z.boolean().optional(),
          allowed: z.array(z.string().min(1)).optional(),
        }),
      )
      .optional(),
    auth: authConfigSchema.optional(),
    server: z
      .object({
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).optional(),
        bodyLimitBytes: z.number().int().positive().optional(),
        publicUrl: z.url().optional(),
        trustProxy: z.boolean().optional(),
        metricsToken: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 24`)').optional(),
        maxQueuedEvents: z.number().int().min(1).optional(),
        requestTimeoutMs: z.number().int().positive().optional(),
        headersTimeoutMs: z.number().int().positive().optional(),
        idleTimeoutMs: z.number().int().positive().optional(),
        keepAliveTimeoutMs: z.number().int().positive().optional(),
        maxConnectionsPerAddress: z.number().int().min(0).optional(),
        connectionLimitExempt: z.array(z.union([z.ipv4(), z.ipv6()], { error: 'expected an IP address' })).optional(),
      })
      .strict()
      .refine((server) => (server.headersTimeoutMs ?? 10_000) <= (server.requestTimeoutMs ?? 30_000), {
        path: ['headersTimeoutMs'],
        message: 'must not be larger than requestTimeoutMs (headers are part of the request)',
      })
      .optional(),
    worker: z
      .object({
        concurrency: z.number().int().min(1).max(256).optional(),
        leaseMs: z.number().int().min(1000).optional(),
        metricsPort: z.number().int().min(0).max(65535).optional(),
        metricsHost: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    alerts: z
      .object({
        webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
        webhookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
        stageErrorRate: z.number().min(0).max(1).optional(),
        backlogAgeSeconds: z.number().int().min(1).optional(),
        checkEverySeconds: z.number().int().min(1).max(3600).optional(),
      })
      .strict()
      .optional(),
    retention: z
      .object({
        succeededAfterDays: z.number().int().min(1).optional(),
        ignoredAfterDays: z.number().int().min(1).optional(),
        rejectedDeliveriesAfterDays: z.number().int().min(1).optional(),
        batchSize: z.number().int().min(1).max(10_000).optional(),
        intervalMinutes: z.number().min(1).optional(),
      })
      .strict()
      .optional(),
    reconcile: z.record(z.string(), reconcileSchema).optional(),
    dashboard: z
      .object({
        locale: z.enum(['es', 'en']).optional(),
        timeZone: z.string().optional(),
        currency: z.string().length(3).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The value at `path` in the config as written, and whether its last key is present there. */
function lookUp(candidate: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let parent: unknown = candidate;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return { present: false, value: undefined };
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  const last = path.at(-1);
  if (last === undefined || parent === null || typeof parent !== 'object') return { present: false, value: undefined };
  return { present: last in parent, value: (parent as Record<PropertyKey, unknown>)[last] };
}

/**
 * One problem, named by its field. A value that is there but `undefined` (`secrets:
 * [process.env.SHOP_SECRET!]` with the variable unset) gets the likely cause, not zod's
 * "expected string, received undefined".
 */
function formatIssue(issue: z.core.$ZodIssue, candidate: unknown): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)';
  if (issue.code === 'invalid_type' && issue.path.length > 0) {
    const { present, value } = lookUp(candidate, issue.path);
    if (present && value === undefined) {
      return `${path}: is undefined (expected ${issue.expected}); an environment variable it is read from is probably not set`;
    }
  }
  return `${path}: ${issue.message}`;
}

/** `process.env.NAME` and `process.env['NAME']` in the config's source that are not set. */
export function unsetEnvironmentVariables(source: string, env: NodeJS.ProcessEnv): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([^'"]+)['"]\s*\])/g)) {
    const name = match[1] ?? match[2];
    if (name !== undefined && env[name] === undefined) names.add(name);
  }
  return [...names].sort();
}

/** What validateConfig needs besides the value: where it came from and what it read. */
export interface ConfigOrigin {
  /** The file name shown in messages. */
  name: string;
  /** Environment variables the file reads that are not set, named in messages about undefined values. */
  unsetVariables?: string[];
}

/** Roles a flag's `allowed` list may name: the configured ones and the three built-in ones. */
function roleNames(config: WebpigConfig): string[] {
  return [...new Set(['admin', 'operator', 'viewer', ...Object.keys(config.auth?.roles ?? {})])];
}

/**
 * A flag's `allowed` entry that is not an e-mail, `token:<name>` or a role would lock everyone
 * out of that flag without a word; refuse it at start, listing the roles there are.
 */
function checkFlagRoles(config: WebpigConfig, origin: string): void {
  const roles = roleNames(config);
  for (const [index, flag] of (config.flags ?? []).entries()) {
    for (const entry of flag.allowed ?? []) {
      const isEmail = /^[^@\s]+@[^@\s]+$/.test(entry);
      if (isEmail || /^token:\S+$/.test(entry) || roles.includes(entry)) continue;
      throw new ConfigError(
        `invalid configuration in ${origin}: flags.${index}.allowed: "${entry}" is not a role; the roles are ${roles.join(', ')}. ` +
          `Define it under auth.roles (e.g. ${JSON.stringify(entry)}: { members: ['someone@example.com'], scopes: ['events:read'] }), ` +
          `or name an e-mail address or token:<name>`,
        { code: 'CONFIG_INVALID' },
      );
    }
  }
}

/** Names the environment variables' sources get (src/sources/env.ts), which join the file's later. */
const ENVIRONMENT_SOURCES = ['epayco', 'mercadopago', 'stripe'];

/** `reconcile.<name>` must name a source, or nothing would ever be reconciled for it. */
function checkReconcileSources(config: WebpigConfig, origin: string): void {
  const names = new Set([...config.sources.map((s) => s.name), ...ENVIRONMENT_SOURCES]);
  for (const name of Object.keys(config.reconcile ?? {})) {
    if (names.has(name)) continue;
    throw new ConfigError(
      `invalid configuration in ${origin}: reconcile.${name}: no source is named "${name}"; the sources are ${[...names].join(', ')}`,
    );
  }
}

/** Checks a loaded config; throws ConfigError listing every problem with its field path. */
export function validateConfig(candidate: unknown, origin: string | ConfigOrigin): WebpigConfig {
  const { name: originName, unsetVariables = [] } = typeof origin === 'string' ? { name: origin } : origin;
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((issue) => formatIssue(issue, candidate));
    const unset = lines.some((line) => line.includes('is undefined')) && unsetVariables.length > 0
      ? ` (${originName} reads ${unsetVariables.join(', ')}, which ${unsetVariables.length === 1 ? 'is' : 'are'} not set)`
      : '';
    throw new ConfigError(`invalid configuration in ${originName}: ${lines.join('; ')}${unset}`);
  }
  const config = candidate as WebpigConfig;
  const seen = new Set<string>();
  for (const [index, source] of config.sources.entries()) {
    if (seen.has(source.name)) {
      throw new ConfigError(`invalid configuration in ${originName}: sources.${index}.name: duplicate source "${source.name}"`);
    }
    seen.add(source.name);
  }
  const pipelines: PipelineDefinition[] = config.pipelines.map((p) => definePipeline(p));
  // An event stores the name of the pipeline that took it; two of one name would be ambiguous.
  const pipelineNames = new Set<string>();
  for (const [index, pipeline] of pipelines.entries()) {
    if (pipelineNames.has(pipeline.name)) {
      throw new ConfigError(`invalid configuration in ${originName}: pipelines.${index}.name: duplicate pipeline "${pipeline.name}"`);
    }
    pipelineNames.add(pipeline.name);
  }
  const flagKeys = new Set((config.flags ?? []).map((f) => f.key));
  const columnKeys = new Set((config.columns ?? []).map((c) => c.key));
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      if (stage.flag && !flagKeys.has(stage.flag)) {
        throw new ConfigError(
          `invalid configuration in ${originName}: pipeline "${pipeline.name}" stage "${stage.name}" uses flag "${stage.flag}", which is not declared in flags`,
        );
      }
      if (stage.column && config.columns && !columnKeys.has(stage.column)) {
        throw new ConfigError(
          `invalid configuration in ${originName}: pipeline "${pipeline.name}" stage "${stage.name}" names column "${stage.column}", which is not declared in columns`,
        );
      }
    }
  }
  checkFlagRoles(config, originName);
  checkReconcileSources(config, originName);
  return { ...config, pipelines };
}
