import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { configOrigin, findConfigFile, importConfigFile, resolveDatabaseUrl } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve.js';
import { redactDatabaseUrl } from '../core/redaction.js';
import { sourcesFromEnv } from '../sources/env.js';
import { openStore } from '../store/open.js';
import { sqliteFilename } from '../store/sqlite/connection.js';
import { CliFailure } from './errors.js';

/**
 * What every CLI command gets: the global options resolved lazily, so `webpig --help` never
 * touches a database and `webpig migrate` works without a config file.
 */
export interface CliDeps {
  /** The config, parsed and resolved once (sources from the file and the WEBPIG_* variables); ConfigError when there is no config file. */
  loadConfig(): Promise<ResolvedConfig>;
  /** The same, or null when the working directory has none. */
  loadConfigIfAny(): Promise<ResolvedConfig | null>;
  /**
   * The config for commands that only read or administer stored data (events, flags, tokens,
   * purge): its webhook sources are left out, so their secrets need not be set in an
   * operator's shell. Null when the working directory has none.
   */
  loadConfigForReading(): Promise<ResolvedConfig | null>;
  /** The --db flag, then $WEBPIG_DATABASE_URL, then the config's `database`, then sqlite:./webpig.db. */
  databaseUrl(): Promise<string>;
  /**
   * Opens the store for a command that writes: refuses a read-only database (DATABASE_READ_ONLY),
   * then applies pending migrations (creating a SQLite file if needed). The caller closes it.
   */
  openStore(): Promise<Store>;
  /**
   * For commands that act on stored rows: a SQLite file that does not exist, or a database
   * webpig never set up, is an error naming it, never created (a mistyped --db would otherwise
   * get an empty database, then "no such event"). With `writes`, a read-only database is
   * refused as openStore refuses it.
   */
  openExistingStore(options?: { writes?: boolean }): Promise<Store>;
  /**
   * The webhook sources' names, without parsing them (their secrets may be unset): those the
   * file writes and those the WEBPIG_* variables of this shell add. Empty without a config.
   */
  configuredSourceNames(): Promise<string[]>;
  /** Where normal output goes (stdout). */
  print(line: string): void;
}

export interface GlobalOptions {
  config?: string;
  db?: string;
}

export function createCliDeps(getOptions: () => GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliDeps {
  // The file is imported once; the full and the reading config are each resolved once from it.
  let exportedPromise: Promise<{ file: string; exported: unknown } | null> | undefined;
  const importConfig = () => {
    exportedPromise ??= (async () => {
      const file = findConfigFile(process.cwd(), getOptions().config);
      return file ? { file, exported: await importConfigFile(file) } : null;
    })();
    return exportedPromise;
  };
  let fullPromise: Promise<ResolvedConfig | null> | undefined;
  const loadConfigIfAny = (): Promise<ResolvedConfig | null> => {
    fullPromise ??= importConfig().then((found) =>
      found ? resolveConfig(found.exported, configOrigin(found.file), { env, sources: 'file-and-environment' }) : null,
    );
    return fullPromise;
  };
  let readingPromise: Promise<ResolvedConfig | null> | undefined;
  const loadConfigForReading = (): Promise<ResolvedConfig | null> => {
    readingPromise ??= importConfig().then((found) =>
      found ? resolveConfig(found.exported, configOrigin(found.file), { env, sources: 'none' }) : null,
    );
    return readingPromise;
  };
  const open = async ({ mustExist, writes }: { mustExist: boolean; writes: boolean }): Promise<Store> => {
    const url = await deps.databaseUrl();
    if (mustExist) assertDatabaseExists(url);
    const store = await openStore(url);
    try {
      // Before migrating: a file SQLite opened read-only reads fine, so a server would come up
      // ready and refuse every delivery.
      if (writes) await store.assertWritable();
      // A database (or PostgreSQL schema) webpig never set up is a wrong --db, not one to fill.
      if (mustExist && (await store.schemaVersion()) === 0) {
        throw new CliFailure(
          'DATABASE_EMPTY',
          `${redactDatabaseUrl(url)} holds no webpig data (nothing was created); check --db, or run webpig migrate to set it up`,
        );
      }
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  };
  const deps: CliDeps = {
    loadConfigIfAny,
    loadConfigForReading,
    async loadConfig() {
      const config = await loadConfigIfAny();
      if (!config) {
        throw new ConfigError('no webpig.config.ts (or .js) in this directory; pass --config FILE, or try `webpig demo`', {
          code: 'CONFIG_NOT_FOUND',
        });
      }
      return config;
    },
    async databaseUrl() {
      const flag = getOptions().db;
      if (flag !== undefined || env.WEBPIG_DATABASE_URL !== undefined) return resolveDatabaseUrl({ flag, env });
      return resolveDatabaseUrl({ env, config: await loadConfigForReading() });
    },
    async configuredSourceNames() {
      const found = await importConfig();
      return [...new Set([...writtenSourceNames(found?.exported), ...environmentSourceNames(env)])];
    },
    openStore: () => open({ mustExist: false, writes: true }),
    openExistingStore: (options = {}) => open({ mustExist: true, writes: options.writes ?? false }),
    print(line) {
      process.stdout.write(`${line}\n`);
    },
  };
  return deps;
}

/** `sources[].name` as the file writes them, whatever else is wrong with the sources. */
function writtenSourceNames(exported: unknown): string[] {
  const sources = (exported as { sources?: unknown } | null | undefined)?.sources;
  if (!Array.isArray(sources)) return [];
  return sources.flatMap((source: unknown) => {
    const name = (source as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

/** The sources the WEBPIG_* variables add; none when they are half set (start says why, not a reading command). */
function environmentSourceNames(env: NodeJS.ProcessEnv): string[] {
  try {
    return sourcesFromEnv(env).map((source) => source.name);
  } catch {
    return [];
  }
}

/** A read-only command on a SQLite file that is not there would create an empty one: refuse. */
function assertDatabaseExists(url: string): void {
  if (!url.trim().startsWith('sqlite:')) return;
  const file = sqliteFilename(url.trim());
  if (file === ':memory:' || existsSync(file)) return;
  throw new CliFailure(
    'DATABASE_NOT_FOUND',
    `no database at ${path.resolve(file)} (nothing was created); run the command where webpig start runs, or pass --db sqlite:/path/to/webpig.db`,
  );
}
