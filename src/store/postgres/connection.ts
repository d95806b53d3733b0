import { createHash } from 'node:crypto';
import pg from 'pg';
import { ConfigError } from '../../core/errors.js';
import { redactDatabaseUrl } from '../../core/redaction.js';

/** Anything SQL can be sent to: the pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** A named statement is prepared once per connection (node-postgres keeps track of which). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

export interface PostgresOpenOptions {
  /** Schema holding webpig's tables; also read from `?schema=` in the URL. (Default: public) */
  schema?: string;
  /** Connections in the pool. (Default: 10) */
  poolSize?: number;
}

export interface PostgresTarget {
  /** The connection string without webpig's own query parameters. */
  connectionString: string;
  schema: string;
  poolSize: number;
}

// Lower case only: PostgreSQL folds unquoted names, and the name is used unquoted in search_path.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;

/**
 * Reads where to connect. The schema is validated rather than quoted, because it also travels
 * in the startup `options` (`-c search_path=…`) and in the NOTIFY channel name.
 */
export function resolveTarget(url: string, options: PostgresOpenOptions = {}): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new ConfigError(`database URL is not a valid postgres:// URL`, { cause: err, code: 'DATABASE_URL_INVALID' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`database URL must start with postgres:// (got ${parsed.protocol}//)`, {
      code: 'DATABASE_URL_INVALID',
    });
  }
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const schema = options.schema ?? fromUrl ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`database schema "${schema}" must be lower-case letters, digits and _ (at most 63, not starting with a digit)`, {
      code: 'DATABASE_SCHEMA_INVALID',
    });
  }
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new ConfigError(`database poolSize must be a positive integer (got ${poolSize})`, { code: 'CONFIG_INVALID' });
  }
  return { connectionString: parsed.toString(), schema, poolSize };
}

/** Where a target connects, without its password: for messages. */
/**
 * What to do about a refused connection PostgreSQL explains by its code: a database that does not
 * exist (3D000) is the first thing a new install meets, and webpig creates only its tables and
 * its `?schema=` schema, never the database. '' when there is nothing to add.
 */
export function openFailureHint(err: unknown, target: PostgresTarget): string {
  if ((err as { code?: unknown } | null)?.code !== '3D000') return '';
  const database = decodeURIComponent(new URL(target.connectionString).pathname.slice(1));
  return `; create it first (CREATE DATABASE "${database}"; in psql, or createdb ${database}): webpig creates its tables itself, not the database`;
}

export function describeTarget(target: PostgresTarget): string {
  // A password may sit in the user:password part or in the query (`?password=`, `sslpassword`).
  return `${redactDatabaseUrl(target.connectionString)} (schema ${target.schema})`;
}

/**
 * bigint (int8) arrives as a string by default; webpig's ids and counts fit in a double, so
 * they are numbers here. Scoped to webpig's own connections, not set globally on `pg`.
 */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Connection settings shared by the pool and the dedicated LISTEN client. */
export function clientConfig(target: PostgresTarget): pg.ClientConfig {
  return {
    connectionString: target.connectionString,
    // Every connection resolves unqualified table names in webpig's schema, from its first query.
    options: `-c search_path=${target.schema}`,
    types: typeParsers,
    application_name: 'webpig',
  };
}

/**
 * The pool. A connection can drop at any moment (failover, idle timeout, pg_terminate_backend).
 * node-postgres then emits 'error' on the client; an idle client's error reaches the pool's
 * handler, but a client checked out (by inTransaction, or by pool.query between its
 * statements) has no listener of its own, and an unhandled 'error' event exits the process.
 * So every client gets a listener as it connects. The error itself needs no handling there:
 * the statement in flight fails with it (the engine retries, ingestion answers 503), the pool
 * drops the broken client when it is released, and the next checkout opens a new connection.
 */
export function createPool(target: PostgresTarget): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(target), max: target.poolSize });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/** The NOTIFY channel for one schema, so stores in different schemas do not wake each other. */
export function wakeChannel(schema: string): string {
  const channel = `webpig_wake_${schema.toLowerCase()}`;
  if (channel.length <= 63) return channel;
  return `webpig_wake_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Runs `work` in one transaction on one pooled client; rolls back on any error. `begin` may
 * add settings to the BEGIN (sent together: one round trip).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A client whose ROLLBACK fails is in an unknown state: destroy it instead of reusing it.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
