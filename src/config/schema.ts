import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { definePipeline, type PipelineDefinition } from '../core/pipeline.js';
import type { WebpigConfig } from '../core/config.js';
import { authConfigSchema } from '../server/auth/config.js';
import { sourceConfigSchema } from '../sources/config.js';

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

const pipelineSchema = z.looseObject({
  name: z.string().min(1),
  match: fn,
  stages: z.array(stageSchema).min(1),
});


export const configSchema = z
  .object({
    database: z.string().min(1).optional(),
    sources: z.array(sourceConfigSchema),
    pipelines: z.array(pipelineSchema),
    columns: z.array(z.object({ key: name, label: z.string().min(1) })).optional(),
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

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)';
  return `${path}: ${issue.message}`;
}

/** Checks a loaded config; throws ConfigError listing every problem with its field path. */
export function validateConfig(candidate: unknown, origin: string): WebpigConfig {
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map(formatIssue);
    throw new ConfigError(`invalid configuration in ${origin}: ${lines.join('; ')}`);
  }
  const config = candidate as WebpigConfig;
  const seen = new Set<string>();
  for (const [index, source] of config.sources.entries()) {
    if (seen.has(source.name)) {
      throw new ConfigError(`invalid configuration in ${origin}: sources.${index}.name: duplicate source "${source.name}"`);
    }
    seen.add(source.name);
  }
  const pipelines: PipelineDefinition[] = config.pipelines.map((p) => definePipeline(p));
  // An event stores the name of the pipeline that took it; two of one name would be ambiguous.
  const pipelineNames = new Set<string>();
  for (const [index, pipeline] of pipelines.entries()) {
    if (pipelineNames.has(pipeline.name)) {
      throw new ConfigError(`invalid configuration in ${origin}: pipelines.${index}.name: duplicate pipeline "${pipeline.name}"`);
    }
    pipelineNames.add(pipeline.name);
  }
  const flagKeys = new Set((config.flags ?? []).map((f) => f.key));
  const columnKeys = new Set((config.columns ?? []).map((c) => c.key));
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      if (stage.flag && !flagKeys.has(stage.flag)) {
        throw new ConfigError(
          `invalid configuration in ${origin}: pipeline "${pipeline.name}" stage "${stage.name}" uses flag "${stage.flag}", which is not declared in flags`,
        );
      }
      if (stage.column && config.columns && !columnKeys.has(stage.column)) {
        throw new ConfigError(
          `invalid configuration in ${origin}: pipeline "${pipeline.name}" stage "${stage.name}" names column "${stage.column}", which is not declared in columns`,
        );
      }
    }
  }
  return { ...config, pipelines };
}
