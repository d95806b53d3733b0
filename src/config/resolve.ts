import { z } from 'zod';
import { authConfigSchema, type ResolvedAuthConfig } from '../core/auth-config.js';
import { ConfigError } from '../core/errors.js';
import type { ResolvedSourceConfig } from '../core/source-config.js';
import { sourcesFromEnv } from '../sources/env.js';
import { resolveAuthConfig } from './auth.js';
import { configErrorOf, type ConfigOrigin } from './issues.js';
import { logLevelFromEnv } from './log-level.js';
import { configSchema, configWithoutSourcesSchema, sourceListSchema, withEnvironmentChecks } from './schema.js';
import type { ResolvedConfig, WebpigConfig } from './types.js';

/**
 * Which sources the config gets: those of the file; those plus the ones the WEBPIG_* secret
 * variables define (`webpig start`, src/sources/env.ts; what the file says wins for a name); or
 * none, for commands that only read stored data, so the sources' secrets need not be set.
 */
export type SourcesFrom = 'file' | 'file-and-environment' | 'none';

export interface ResolveOptions {
  /** Read for the OIDC client secret, WEBPIG_LOG_LEVEL and, with `sources: 'file-and-environment'`, the sources. (Default: {}) */
  env?: NodeJS.ProcessEnv;
  /** (Default: 'file') */
  sources?: SourcesFrom;
}

/**
 * The config's one parse, at the top (service start-up, the CLI, the demo, `buildServer`): every
 * check of src/config/schema.ts, then the resolution that needs the environment. Throws one
 * ConfigError listing the problems, each with its field path; returns the object whose slices
 * the areas receive.
 */
export function resolveConfig(candidate: unknown, origin: string | ConfigOrigin, options: ResolveOptions = {}): ResolvedConfig {
  const env = options.env ?? {};
  const from = options.sources ?? 'file';
  const base: ConfigOrigin = typeof origin === 'string' ? { name: origin } : origin;
  const { input, environmentSourcesFrom } = withSources(candidate, from, env);
  const where: ConfigOrigin = { ...base, ...(environmentSourcesFrom === undefined ? {} : { environmentSourcesFrom }) };
  const parsed = withEnvironmentChecks(from === 'none' ? configWithoutSourcesSchema : configSchema, env).safeParse(input);
  if (!parsed.success) throw configErrorOf(parsed.error, input, where);
  const logLevel = logLevelFromEnv(env);
  return { ...parsed.data, auth: resolvedAuth(parsed.data.auth, env, where.name), ...(logLevel === undefined ? {} : { logLevel }) };
}

/** The candidate with the sources `from` asks for, and where the environment's begin. */
function withSources(candidate: unknown, from: SourcesFrom, env: NodeJS.ProcessEnv): { input: unknown; environmentSourcesFrom?: number } {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) return { input: candidate };
  if (from === 'none') return { input: { ...candidate, sources: [] } };
  // Left out, the file has no sources of its own (the schema's default): the environment's are added.
  const written: unknown = (candidate as { sources?: unknown }).sources ?? [];
  if (from === 'file' || !Array.isArray(written)) return { input: candidate };
  const configured = new Set(written.map((source: unknown) => (source as { name?: unknown } | null)?.name));
  const added = sourcesFromEnv(env).filter((source) => !configured.has(source.name));
  return { input: { ...candidate, sources: [...written, ...added] }, environmentSourcesFrom: written.length };
}

function resolvedAuth(auth: z.output<typeof authConfigSchema> | undefined, env: NodeJS.ProcessEnv, origin: string): ResolvedAuthConfig {
  try {
    return resolveAuthConfig(auth ?? authConfigSchema.parse({}), env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`invalid configuration in ${origin}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Only a list of sources, parsed with the config's own schema: for tests, benchmarks and tools
 * that mount the webhook routes without a whole config.
 */
export function parseSourceConfigs(sources: readonly unknown[], origin = 'the source list'): ResolvedSourceConfig[] {
  const input = { sources };
  const parsed = z.object({ sources: sourceListSchema }).safeParse(input);
  if (!parsed.success) throw configErrorOf(parsed.error, input, { name: origin });
  return parsed.data.sources;
}

/** The config as written, unchanged: it gives `webpig.config.ts` its type (and editors their hints). */
export function defineConfig(config: WebpigConfig): WebpigConfig {
  return config;
}
