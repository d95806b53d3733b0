import type { WebpigConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { findConfigFile, loadConfigFile, resolveDatabaseUrl } from '../config/load-config.js';
import { openStore } from '../store/open.js';

/**
 * What every CLI command gets: the global options resolved lazily, so `webpig --help` never
 * touches a database and `webpig migrate` works without a config file.
 */
export interface CliDeps {
  /** The validated config; ConfigError when there is no config file. */
  loadConfig(): Promise<WebpigConfig>;
  /** The validated config, or null when the working directory has none. */
  loadConfigIfAny(): Promise<WebpigConfig | null>;
  /** Flag, then $WEBPIG_DATABASE_URL, then the config's `database`, then sqlite:./webpig.db. */
  databaseUrl(): Promise<string>;
  /** Opens the store and applies pending migrations. The caller closes it. */
  openStore(): Promise<Store>;
  /** Where normal output goes (stdout). */
  print(line: string): void;
}

export interface GlobalOptions {
  config?: string;
  db?: string;
}

export function createCliDeps(getOptions: () => GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliDeps {
  let configPromise: Promise<WebpigConfig | null> | undefined;
  const loadConfigIfAny = (): Promise<WebpigConfig | null> => {
    configPromise ??= (async () => {
      const file = findConfigFile(process.cwd(), getOptions().config);
      return file ? loadConfigFile(file) : null;
    })();
    return configPromise;
  };
  const deps: CliDeps = {
    loadConfigIfAny,
    async loadConfig() {
      const config = await loadConfigIfAny();
      if (!config) {
        throw new ConfigError(
          'no webpig.config.ts (or .js) in this directory; pass --config FILE, or try `webpig demo`',
          { code: 'CONFIG_NOT_FOUND' },
        );
      }
      return config;
    },
    async databaseUrl() {
      const flag = getOptions().db;
      if (flag !== undefined || env.WEBPIG_DATABASE_URL !== undefined) return resolveDatabaseUrl({ flag, env });
      return resolveDatabaseUrl({ env, config: await loadConfigIfAny() });
    },
    async openStore() {
      const store = await openStore(await deps.databaseUrl());
      try {
        await store.migrate();
      } catch (err) {
        await store.close();
        throw err;
      }
      return store;
    },
    print(line) {
      process.stdout.write(`${line}\n`);
    },
  };
  return deps;
}
