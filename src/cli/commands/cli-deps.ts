/**
 * What the CLI's command modules need from main.ts. Each module exports
 * `register(program, deps)`; main.ts builds `deps` once (src/cli/context.ts) and passes it on.
 *
 *   openStore():           opens the database and applies migrations. Its URL is the first of:
 *                          the --db flag; $WEBPIG_DATABASE_URL; the config file's `database`
 *                          (read only when neither of those is given, from the config without
 *                          its sources); sqlite:./webpig.db (resolveDatabaseUrl, load-config.ts).
 *   openExistingStore():   the same, but never creates a SQLite file nor sets up an empty database
 *                          (commands on stored rows); `{ writes: true }` for those that change them.
 *   loadConfig():          webpig.config.ts parsed and resolved once (src/config/resolve.ts), with
 *                          the sources the WEBPIG_* secret variables add.
 *   loadConfigForReading(): the same without any webhook source (their secrets may be unset).
 *
 * Errors are thrown, never printed here: main.ts prints one line and picks the exit code
 * (src/cli/errors.ts).
 */
import { userInfo } from 'node:os';
import type { ResolvedConfig } from '../../config/types.js';
import type { Store } from '../../store/store.js';
import { UsageError } from '../errors.js';

export { CliFailure, UsageError } from '../errors.js';

export interface EngineCliDeps {
  openStore(): Promise<Store>;
  openExistingStore(options?: { writes?: boolean }): Promise<Store>;
  loadConfig(): Promise<ResolvedConfig>;
  loadConfigForReading(): Promise<ResolvedConfig | null>;
  /** The full config (sources included), or null without a config file. */
  loadConfigIfAny?(): Promise<ResolvedConfig | null>;
  /** The sources' names, read without their secrets (context.ts). (Default: no source is checked) */
  configuredSourceNames?(): Promise<string[]>;
}

/**
 * A `--source` that names no configured source and no stored event is a typo, not an empty
 * list: a usage error listing the sources (a source no longer configured whose events remain
 * is still listed by name). Call with the store open.
 */
export async function checkSourceOption(deps: EngineCliDeps, store: Pick<Store, 'listEvents'>, source: string | undefined): Promise<void> {
  if (source === undefined || !deps.configuredSourceNames) return;
  const configured = await deps.configuredSourceNames();
  if (configured.includes(source)) return;
  if ((await store.listEvents({ source }, { limit: 1 })).items.length > 0) return;
  const known = configured.length > 0 ? `the configured sources are ${configured.join(', ')}` : 'no source is configured';
  throw new UsageError(`--source: unknown source "${source}" (no source of that name in the config, and no event from one); ${known}`);
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

/**
 * The actor of a CLI change made on someone's behalf (`--actor NAME`): the OS user, who really
 * ran it and is the only identity the CLI can vouch for, with the declared name beside it —
 * `cli:juan (as ana)`. A bare declared name let anyone who can run the CLI write any person
 * (or `ana@company.co`, as the dashboard records people) into the flag history and the audit.
 */
export function declaredCliActor(declared: string | undefined): string {
  const actor = cliActor();
  if (declared === undefined) return actor;
  const name = declared.trim();
  if (!name || name.length > 100 || /[\p{Cc}\p{Cf}]/u.test(name)) {
    throw new UsageError('--actor must be a name of 1 to 100 printable characters (it is recorded beside your OS user)');
  }
  return name === actor ? actor : `${actor} (as ${name})`;
}

/**
 * Runs a command's action. Errors are not printed here: they reach main.ts, which prints one
 * line and picks the exit code (src/cli/errors.ts), the same for every command.
 */
export async function runAction(action: () => Promise<void>): Promise<void> {
  await action();
}

/**
 * Opens the store with `open` (an opener such as `deps.openExistingStore`, or deps itself for
 * `deps.openStore()`), runs `use`, and always closes it.
 */
export async function withStore<T>(
  open: (() => Promise<Store>) | Pick<EngineCliDeps, 'openStore'>,
  use: (store: Store) => Promise<T>,
): Promise<T> {
  const store = typeof open === 'function' ? await open() : await open.openStore();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
