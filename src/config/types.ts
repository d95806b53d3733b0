import type { z } from 'zod';
import type { ResolvedAuthConfig } from '../core/auth-config.js';
import type { LogLevel } from './log-level.js';
import type { configSchema } from './schema.js';
import type {
  alertsSchema,
  columnSchema,
  dashboardSchema,
  flagSchema,
  reconcileSettingsSchema,
  retentionSchema,
  serverSchema,
  workerSchema,
} from './sections.js';

/**
 * The config's types, all derived from its schema (src/config/schema.ts): what users write, and
 * what the areas receive once it is parsed and resolved. None is written by hand.
 */

/** What `webpig.config.ts` exports (default export), options with defaults left out. Parsed once, at start. */
export type WebpigConfig = z.input<typeof configSchema>;

type ParsedConfig = z.output<typeof configSchema>;

/**
 * The config parsed and resolved (`resolveConfig`): every check passed, defaults applied, the
 * environment's sources added where asked, `auth` resolved. Each area receives its slice.
 */
export interface ResolvedConfig extends Omit<ParsedConfig, 'auth'> {
  auth: ResolvedAuthConfig;
  /** WEBPIG_LOG_LEVEL, checked (`logLevelFromEnv`); undefined when unset: each command has its default. */
  logLevel?: LogLevel;
}

/** A dashboard column: a grouping of stages with one icon per event. */
export type ColumnConfig = z.output<typeof columnSchema>;
export type FlagConfig = z.output<typeof flagSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
/** The `server.*` fields that limit slow or greedy clients (src/server/connection-limits.ts). */
export type ServerLimits = Pick<
  ServerConfig,
  'requestTimeoutMs' | 'headersTimeoutMs' | 'idleTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnectionsPerAddress' | 'connectionLimitExempt'
>;
export type WorkerConfig = z.output<typeof workerSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;
export type RetentionPolicy = z.output<typeof retentionSchema>;
/** Reconciliation of one source (`reconcile.<source>` in the config). */
export type ReconcileSettings = z.output<typeof reconcileSettingsSchema>;
export type DashboardConfig = z.output<typeof dashboardSchema>;
