import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, errorMessage } from '../core/errors.js';
import { unsetEnvironmentVariables, type ConfigOrigin } from './issues.js';
import { resolveConfig } from './resolve.js';
import type { ResolvedConfig } from './types.js';

export const CONFIG_FILE_NAMES = ['webpig.config.ts', 'webpig.config.mts', 'webpig.config.js', 'webpig.config.mjs'];
export const DEFAULT_DATABASE_URL = 'sqlite:./webpig.db';

/** Finds `webpig.config.*` in `cwd`, or returns the explicit path; null when there is none. */
export function findConfigFile(cwd: string, explicit?: string): string | null {
  if (explicit) {
    const resolved = path.resolve(cwd, explicit);
    if (!existsSync(resolved)) throw new ConfigError(`config file not found: ${resolved}`, { code: 'CONFIG_NOT_FOUND' });
    return resolved;
  }
  for (const candidate of CONFIG_FILE_NAMES) {
    const file = path.join(cwd, candidate);
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Lets Node load TypeScript (and CommonJS that requires ESM) from here on, for the user's config
 * and whatever it imports. Registered once, for the whole process, on purpose: tsx's
 * *namespaced* loader (`tsImport`) loads a second copy of everything the config imports under
 * `?namespace=…` ids, and in a CommonJS project (`npm init -y`) its require cache leaks, so
 * webpig's own later `import('fastify')` got half its files from that copy: fastify's internal
 * symbols no longer matched and @fastify/cookie crashed `webpig start` with "Cannot read
 * properties of undefined (reading 'started')". Registered globally, an ESM config's
 * `import 'webpig'` is this very module graph; a CommonJS config's `require('webpig')` is a
 * CommonJS rendering of it (tsx compiles it) that shares fastify and everything else.
 */
let typeScriptLoader: Promise<void> | undefined;
function registerTypeScriptLoader(): Promise<void> {
  typeScriptLoader ??= (async () => {
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
  })();
  return typeScriptLoader;
}

/**
 * Imports a config file and resolves it (`resolveConfig`), with the sources the documented
 * WEBPIG_* secret variables define added where the file has none of that name. TypeScript files
 * are loaded through tsx, so users need no build step for their config, in CommonJS and ESM
 * projects alike. A file is imported once per process (Node caches modules by path).
 */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedConfig> {
  const exported = await importConfigFile(file);
  return resolveConfig(exported, configOrigin(file), { env, sources: 'file-and-environment' });
}

/**
 * Where a config came from, for its messages: the file's name, the variables it reads
 * (`process.env.X`) that are unset and its text, for the message about an `undefined` value
 * (which names those read for that field). The file reads this process's environment itself,
 * whatever `env` the caller resolves with.
 */
export function configOrigin(file: string): ConfigOrigin {
  const source = readFileSync(file, 'utf8');
  return { name: path.basename(file), unsetVariables: unsetEnvironmentVariables(source, process.env), source };
}

/**
 * The default export of a user's module — the config, or `webpig verify --deliveries FILE` —
 * TypeScript through the process-wide tsx loader (never tsx's namespaced `tsImport`: see
 * `registerTypeScriptLoader`). Import errors are thrown as they are, for the caller to word.
 */
export async function importDefaultExport(file: string): Promise<unknown> {
  // Checked first: Node's own message names the module that imported it (webpig's dist path).
  if (!existsSync(file)) throw new ConfigError(`no such file: ${path.resolve(file)}`, { code: 'CONFIG_NOT_FOUND' });
  if (/\.[mc]?ts$/.test(file)) await registerTypeScriptLoader();
  const resolved = path.resolve(file);
  const module = (await import(pathToFileURL(resolved).href)) as { default?: unknown };
  const commonJs = commonJsModule(resolved);
  return commonJs ? commonJsDefaultExport(commonJs.exports) : module.default;
}

/**
 * The file's CommonJS module when Node loaded it as CommonJS (tsx compiled it, or it is plain
 * CommonJS): only the CommonJS loader puts a file in `require.cache`. An ES module's namespace
 * has a `default` exactly when the file has `export default`, so it needs no guessing.
 * `module.exports` itself is read, not the namespace's `default`: how that wraps it depends on
 * the loader (Node's puts the whole object there, tsx's unwraps a compiled `export default`).
 */
function commonJsModule(file: string): { exports: unknown } | undefined {
  const cache = createRequire(import.meta.url).cache;
  return cache[file] ?? cache[realpathSync(file)];
}

/**
 * A CommonJS module's own default export, undefined when it has none. Node hands over its whole
 * `module.exports` as `default`, so without this a file with only named exports, or an empty
 * one, "exported" an object and got the schema's messages instead of "no default export".
 */
function commonJsDefaultExport(exported: unknown): unknown {
  if (exported === null || typeof exported !== 'object') return exported;
  // ESM compiled to CommonJS marks module.exports with __esModule; its default is a property.
  if ((exported as { __esModule?: unknown }).__esModule === true) {
    return Object.hasOwn(exported, 'default') ? (exported as { default: unknown }).default : undefined;
  }
  // An empty file's module.exports, untouched (`module.exports = {}` cannot be told from it).
  if (Object.getPrototypeOf(exported) === Object.prototype && Reflect.ownKeys(exported).length === 0) return undefined;
  return exported;
}

/** The config file's default export, not validated yet (see `loadConfigFile`). */
export async function importConfigFile(file: string): Promise<unknown> {
  let exported: unknown;
  try {
    exported = await importDefaultExport(file);
  } catch (err) {
    throw new ConfigError(`could not load ${file}: ${importFailure(err)}`, { cause: err, code: 'CONFIG_LOAD_FAILED' });
  }
  if (exported === undefined) throw new ConfigError(`${file} has no default export (export default defineConfig({...}))`);
  return exported;
}

/**
 * Why an import failed, in one line: Node's "Cannot find module 'x'" goes on with "Require
 * stack:" and one line per requiring file (webpig's own internal paths). The whole error stays
 * the ConfigError's cause. A syntax error says where it is: tsx's compiler (esbuild) puts each
 * error on a line of its own after "Transform failed with 1 error:", which alone said nothing,
 * and Node puts the file and line of a JavaScript file's error in its stack, not its message.
 */
export function importFailure(err: unknown): string {
  const lines = errorMessage(err).split('\n');
  const first = lines[0]!.trim();
  if (/^Transform failed with \d+ errors?:$/.test(first)) {
    const errors = lines.slice(1).flatMap((line) => {
      const found = /^(.+?:\d+:\d+): ERROR: (.*)$/.exec(line.trim());
      return found ? [`${found[1]}: ${found[2]}`] : [];
    });
    if (errors.length > 0) return `syntax error at ${errors.join('; ')}`;
  }
  if (err instanceof SyntaxError) {
    const where = /^(\S.*:\d+)\n/.exec(err.stack ?? '')?.[1];
    if (where !== undefined) return `syntax error at ${where}: ${first}`;
  }
  return first;
}

/** The database URL: the --db flag, then $WEBPIG_DATABASE_URL, then the config's `database`, then the default. */
export function resolveDatabaseUrl(options: { flag?: string; env?: NodeJS.ProcessEnv; config?: { database?: string } | null }): string {
  return options.flag ?? options.env?.WEBPIG_DATABASE_URL ?? options.config?.database ?? DEFAULT_DATABASE_URL;
}
