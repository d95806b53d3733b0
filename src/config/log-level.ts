import { ConfigError } from '../core/errors.js';

/** pino's levels, most to least severe, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * WEBPIG_LOG_LEVEL, checked with the rest of the config before anything opens: pino refused a
 * level it does not know only when the first logger was made, after the database was migrated.
 * Undefined when unset or empty.
 */
export function logLevelFromEnv(env: Readonly<Record<string, string | undefined>>): LogLevel | undefined {
  const value = env.WEBPIG_LOG_LEVEL?.trim();
  if (value === undefined || value === '') return undefined;
  const level = LOG_LEVELS.find((known) => known === value.toLowerCase());
  if (level === undefined) {
    throw new ConfigError(`WEBPIG_LOG_LEVEL: "${value}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}
