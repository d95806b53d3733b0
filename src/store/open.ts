import { ConfigError } from '../core/errors.js';
import { redactDatabaseUrl } from '../core/redaction.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The PostgreSQL store's module, loaded only when a postgres:// URL asks for it. */
interface PostgresStoreModule {
  PostgresStore: { open(url: string, options?: { schema?: string }): Promise<Store> };
}

// Loaded on demand, through a variable specifier, so `pg` stays out of the start-up path of
// everyone on SQLite.
const POSTGRES_STORE_MODULE: string = './postgres/postgres-store.js';

/**
 * Opens the store a database URL names: `sqlite:./file.db`, `sqlite:/abs/file.db`,
 * `sqlite::memory:`, or `postgres://…` / `postgresql://…`. The store is not migrated yet.
 */
export async function openStore(url: string): Promise<Store> {
  const trimmed = url.trim();
  if (trimmed.startsWith('sqlite:')) return SqliteStore.open(trimmed);
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    let module: PostgresStoreModule;
    try {
      module = (await import(POSTGRES_STORE_MODULE)) as PostgresStoreModule;
    } catch (err) {
      // Only "the module is not there"; a broken PostgreSQL store must show its own error.
      const missing = (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && /postgres-store/.test(String(err));
      if (!missing) throw err;
      throw new ConfigError('this webpig build has no PostgreSQL store: use sqlite:./file.db or sqlite::memory:', {
        code: 'DATABASE_URL_INVALID',
        cause: err,
      });
    }
    return module.PostgresStore.open(trimmed);
  }
  throw new ConfigError(`unsupported database URL "${redactDatabaseUrl(trimmed)}": use sqlite:./file.db, sqlite::memory: or postgres://…`, {
    code: 'DATABASE_URL_INVALID',
  });
}
