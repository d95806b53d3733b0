/**
 * What the engine's CLI command modules need from main.ts. Each module exports
 * `register(program, deps)`; main.ts builds `deps` once and passes it to all of them.
 *
 *   openStore():  opens the configured database (config.database, else $WEBPIG_DATABASE_URL,
 *                 else sqlite:./webpig.db) and applies migrations. The caller closes it.
 *   loadConfig(): loads and validates webpig.config.ts (pipelines, flags, worker options).
 */
import { userInfo } from 'node:os';
import type { WebpigConfig } from '../../core/config.js';
import { WebpigError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';

export interface EngineCliDeps {
  openStore(): Promise<Store>;
  loadConfig(): Promise<WebpigConfig>;
}

/** A bad argument: printed as one line, exit code 2, no stack. */
export class UsageError extends WebpigError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export function parsePositiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${what} must be a positive integer, got "${value}"`);
  }
  return Number(value);
}

/** Who did it, for the audit log: the operating-system user running the CLI. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Errors caused by what the user typed (a wrong id, a status that cannot be retried...). */
const BAD_INPUT_CODES = new Set(['USAGE', 'CONFIG_INVALID', 'EVENT_NOT_FOUND', 'NOT_RETRIABLE', 'STAGE_UNKNOWN']);

/**
 * Runs a command's action: known errors (bad input, refused operations) become one line on
 * stderr and exit code 2 (bad input) or 1 (anything else); the stack is never printed.
 */
export async function runAction(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof WebpigError) {
      console.error(`webpig: ${err.message} (${err.code})`);
      process.exitCode = BAD_INPUT_CODES.has(err.code) ? 2 : 1;
      return;
    }
    console.error(`webpig: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

/** Opens the store, runs `use`, and always closes it. */
export async function withStore<T>(deps: EngineCliDeps, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await deps.openStore();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
