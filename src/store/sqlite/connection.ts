import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, StoreError } from '../../core/errors.js';
import type { WakeListener } from '../store.js';
import { WAL_PLENTY, WalCheckpointer, type WalCheckpointerOptions } from './wal.js';
import { WalSync, type WalFsyncHook } from './wal-sync.js';

/** Parameters bound to a statement: positional values or one object of named ones. */
export type SqlValue = string | number | bigint | Buffer | null;
export type SqlParams = SqlValue[] | [Record<string, SqlValue>];

/** How long a writer waits for another process's write lock before failing. (Default: 5 s) */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * `sqlite:./file.db` (relative to the working directory), `sqlite:/abs/file.db` or
 * `sqlite::memory:` → the filename better-sqlite3 expects.
 */
export function sqliteFilename(url: string): string {
  if (!url.startsWith('sqlite:')) {
    throw new ConfigError(`not a SQLite URL "${url}": use sqlite:./file.db or sqlite::memory:`, { code: 'DATABASE_URL_INVALID' });
  }
  const path = url.slice('sqlite:'.length);
  if (path === ':memory:') return ':memory:';
  if (path === '' || path.startsWith('//') || path.includes('\0')) {
    throw new ConfigError(`SQLite URL "${url}" names no file: use sqlite:./file.db, sqlite:/abs/file.db or sqlite::memory:`, {
      code: 'DATABASE_URL_INVALID',
    });
  }
  return path;
}

/**
 * Opens the file and sets it up. A file that cannot be opened (missing folder, no
 * permission, not a SQLite database) is the URL's mistake: a one-line ConfigError.
 */
export function openSqliteDatabase(filename: string): Database.Database {
  refuseDirectory(filename);
  let db: Database.Database | undefined;
  try {
    db = new Database(filename);
    // WAL lets readers (the dashboard) run while a worker writes; FULL makes a commit durable
    // before ingestion replies 2xx (promise 1: no webhook is lost).
    // The busy timeout first: switching to WAL needs a lock another process may hold.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Checkpoint the WAL every ~40 MB instead of every ~4 MB: under FULL each checkpoint is an
    // fsync of the database file, and at webhook rates the default ran one every half second.
    // bench/ingest.ts, A/B twice: ratio to bare node:http 0.26–0.28 instead of 0.22, and the
    // rate no longer sags as the file grows. Durability is unchanged (every commit is synced).
    // On a volume low on space both are lowered while it stays low (wal.ts).
    db.pragma(`wal_autocheckpoint = ${WAL_PLENTY.autocheckpointPages}`);
    // A WAL that grew past this (a reader held old pages during a burst) is cut back to it
    // when a checkpoint resets it, instead of keeping its largest size on disk for ever.
    db.pragma(`journal_size_limit = ${WAL_PLENTY.journalSizeLimitBytes}`);
    return db;
  } catch (err) {
    db?.close();
    throw new ConfigError(`cannot open SQLite database ${filename}: ${(err as Error).message}`, {
      code: 'DATABASE_OPEN_FAILED',
      cause: err,
    });
  }
}

/**
 * `sqlite:/tmp` names a folder: SQLite's own "unable to open database file" said neither that
 * nor what to give. The URL is wrong, not the disk: DATABASE_URL_INVALID (a usage mistake).
 */
function refuseDirectory(filename: string): void {
  if (filename === ':memory:' || statSync(filename, { throwIfNoEntry: false })?.isDirectory() !== true) return;
  const example = path.join(filename, 'webpig.db');
  throw new ConfigError(`${path.resolve(filename)} is a directory, not a database file: name a file in it, e.g. sqlite:${example}`, {
    code: 'DATABASE_URL_INVALID',
  });
}

/**
 * One open database plus what every query module needs: statements prepared once and
 * reused, write transactions that take the lock up front, and the wake-up signal.
 */
export class SqliteContext {
  private readonly statements = new Map<string, Database.Statement<SqlValue[]>>();
  private readonly wakeListeners = new Set<WakeListener>();
  private readonly checkpointer: WalCheckpointer;
  /** Null for a database without a WAL file (`:memory:`): its commits have nothing to sync. */
  private readonly walSync: WalSync | null;
  /** Statements and transactions run for writing, so the checkpointer can tell when it is idle. */
  private writes = 0;
  /** The connection's own synchronous level (FULL), read on first use: see setSyncLevel. */
  private ownLevel: number | null = null;
  /** The connection is at `synchronous=NORMAL`, left there by the last unsynced commit (see unsyncedCommit). */
  private atNormal = false;
  /** unsyncedCommit calls running: their commits stay at NORMAL. */
  private unsyncedRunning = 0;
  /** See immediateTransaction. */
  private inTransactionOf: ((work: () => unknown) => unknown) | null = null;

  constructor(
    readonly db: Database.Database,
    options: Pick<WalCheckpointerOptions, 'intervalMs'> & { walFsyncHook?: WalFsyncHook } = {},
  ) {
    this.checkpointer = new WalCheckpointer(db, () => this.writes, { intervalMs: options.intervalMs, busyTimeoutMs: BUSY_TIMEOUT_MS });
    this.checkpointer.start();
    this.walSync = WalSync.applies(db) ? new WalSync(db, options.walFsyncHook) : null;
  }

  /** The prepared statement for `sql`, compiled on first use and cached for this database. */
  stmt(sql: string): Database.Statement<SqlValue[]> {
    if (!this.db.open) throw new StoreError('STORE_CLOSED', 'the SQLite store is closed');
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<SqlValue[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  get<Row>(sql: string, ...params: SqlParams): Row | undefined {
    return this.translated(() => this.autocommitting(this.stmt(sql)).get(...(params as SqlValue[])) as Row | undefined);
  }

  all<Row>(sql: string, ...params: SqlParams): Row[] {
    return this.translated(() => this.autocommitting(this.stmt(sql)).all(...(params as SqlValue[])) as Row[]);
  }

  run(sql: string, ...params: SqlParams): Database.RunResult {
    this.writes += 1;
    return this.translated(() => this.autocommitting(this.stmt(sql)).run(...(params as SqlValue[])));
  }

  /**
   * A statement about to run: one that writes outside any transaction commits on its own
   * (autocommit), so it gets the connection's own level first, as every commit outside
   * unsyncedCommit does (restoreSyncLevel). Reads, and statements inside a transaction, run as they are.
   */
  private autocommitting(statement: Database.Statement<SqlValue[]>): Database.Statement<SqlValue[]> {
    if (this.atNormal && !statement.readonly && !this.db.inTransaction) this.restoreSyncLevel();
    return statement;
  }

  /**
   * Runs `work` in a BEGIN IMMEDIATE transaction: the write lock is taken before anything is
   * read, so a decision (claim, fence check) cannot be based on a snapshot another process
   * has already changed (which WAL would report as SQLITE_BUSY_SNAPSHOT mid-transaction).
   */
  immediate<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    this.restoreSyncLevel();
    this.writes += 1;
    const transaction = this.immediateTransaction();
    return this.translated(() => retryingBusy(() => transaction(work) as T));
  }

  /**
   * One BEGIN IMMEDIATE transaction function for every `immediate()`: `db.transaction()` builds
   * four wrapper functions and their properties on every call (about 1 % of the worker's CPU
   * at concurrency 32, once a commit).
   */
  private immediateTransaction(): (work: () => unknown) => unknown {
    if (!this.db.open) throw new StoreError('STORE_CLOSED', 'the SQLite store is closed');
    this.inTransactionOf ??= this.db.transaction((work: () => unknown) => work()).immediate;
    return this.inTransactionOf;
  }

  /**
   * `immediate`, with the commit's fsync off the event loop (wal-sync.ts): the transaction
   * commits with `synchronous=NORMAL` (the WAL frames written, not yet synced), then the WAL is
   * synced on the thread pool, and only then does the promise resolve, so a caller that waits
   * for it (ingestion before its 2xx, a worker before a stage's effect) is told of a commit
   * exactly when FULL would have told it. The fsync is shared (WalSync coalesces): while one
   * runs, the loop is free to make the next commits, which the next fsync covers together —
   * the group commit. The connection is back at FULL before this returns its promise.
   * In-memory and non-WAL databases commit at their own level (FULL) and resolve at once.
   */
  async immediateSyncedOffLoop<T>(work: () => T): Promise<T> {
    if (this.walSync === null || this.db.inTransaction) return this.immediate(work);
    const result = this.unsyncedCommit(() => this.immediate(work));
    await this.walSync.sync();
    return result;
  }

  /**
   * Runs `work` (whose transaction commits inside it) with `synchronous=NORMAL`: the commit is
   * written to the WAL, visible to every process, but not fsynced by itself. The caller says
   * what makes the commit durable: the WAL fsync that follows (immediateSyncedOffLoop) or the
   * next synced commit, which covers it (WAL order).
   *
   * The connection is left at NORMAL afterwards, and put back at its own level (FULL) only
   * before a commit that needs it (restoreSyncLevel: `immediate`, a write outside a
   * transaction, the raw connection handed out): almost every commit of the worker and of
   * ingestion is unsynced, and setting the level there and back was two statements a commit
   * (bench/README.md, branch `sqlite-demo`). Every other write still syncs in its COMMIT.
   */
  unsyncedCommit<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    if (!this.atNormal) {
      this.setSyncLevel('normal');
      this.atNormal = true;
    }
    this.unsyncedRunning += 1;
    try {
      return work();
    } finally {
      this.unsyncedRunning -= 1;
    }
  }

  /**
   * Puts the connection back at its own level (FULL) unless an unsyncedCommit is running: called
   * before every commit that must sync in itself, and before the raw connection is used from
   * outside (SqliteStore.database, migrations), so only unsyncedCommit's commits run at NORMAL.
   */
  restoreSyncLevel(): void {
    if (!this.atNormal || this.unsyncedRunning > 0) return;
    this.setSyncLevel('restore');
    this.atNormal = false;
  }

  /**
   * Sets the connection's synchronous level: `restore` is the level it had on first use (FULL).
   * Run with `exec`, compiled each time: SQLite applies `PRAGMA synchronous = …` when the
   * statement is compiled, so a pair prepared once (NORMAL, then FULL) left the first commit
   * meant to be unsynced at FULL (test/store/sqlite-sync-level.test.ts). Only unsyncedCommit and
   * restoreSyncLevel call this, on a change of level only, so compiling costs nothing that counts.
   */
  private setSyncLevel(to: 'normal' | 'restore'): void {
    if (!this.db.open) throw new StoreError('STORE_CLOSED', 'the SQLite store is closed');
    this.ownLevel ??= this.db.pragma('synchronous', { simple: true }) as number;
    this.db.exec(`PRAGMA synchronous = ${to === 'normal' ? 'NORMAL' : this.ownLevel}`);
  }

  onWake(listener: WakeListener): () => void {
    this.wakeListeners.add(listener);
    return () => {
      this.wakeListeners.delete(listener);
    };
  }

  /** Tells idle workers in this process that work may be available (after the commit). */
  wake(): void {
    if (this.wakeListeners.size === 0) return;
    queueMicrotask(() => {
      for (const listener of [...this.wakeListeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own; the write that woke it has already committed.
        }
      }
    });
  }

  /** SQLite errors as StoreErrors; a full disk also asks for a checkpoint (see wal.ts). */
  private translated<T>(work: () => T): T {
    try {
      return translated(work);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'DISK_FULL') this.checkpointer.diskFull();
      throw err;
    }
  }

  close(): void {
    this.checkpointer.stop();
    // Closing our descriptor of the WAL after the database: a sync still running finishes first.
    void this.walSync?.close().catch(() => undefined);
    this.statements.clear();
    this.atNormal = false;
    this.inTransactionOf = null;
    this.wakeListeners.clear();
    if (this.db.open) this.db.close();
  }
}

/** Tries of a transaction that met an instant SQLITE_BUSY. (Default: 5) */
const BUSY_ATTEMPTS = 5;

/**
 * Runs a whole transaction again when it failed with SQLITE_BUSY. With several processes on
 * one file, BEGIN IMMEDIATE now and then gets SQLITE_BUSY at once, without the busy handler
 * waiting, when it meets another process's checkpoint (reproduced with plain better-sqlite3:
 * three writer processes, about one transaction in 2,000). The transaction has been rolled
 * back, so trying it again is safe; it then goes through.
 */
function retryingBusy<T>(work: () => T): T {
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    try {
      return work();
    } catch (err) {
      if (attempt >= BUSY_ATTEMPTS || !(err instanceof Database.SqliteError) || !err.code.startsWith('SQLITE_BUSY')) throw err;
      // A BUSY after the busy handler waited out its timeout is a real, long lock: report it.
      if (Date.now() - started >= BUSY_TIMEOUT_MS / 2) throw err;
    }
  }
}

/**
 * SQLite's own errors become StoreErrors with a stable code (the SQLite code stays in the
 * message and `cause`); webpig's typed errors thrown inside a transaction pass through.
 */
function translated<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (!(err instanceof Database.SqliteError)) throw err;
    const code = err.code.startsWith('SQLITE_BUSY')
      ? 'DATABASE_BUSY'
      : err.code.startsWith('SQLITE_CONSTRAINT')
        ? 'CONSTRAINT_VIOLATED'
        : err.code === 'SQLITE_FULL'
          ? 'DISK_FULL'
          : 'DATABASE_ERROR';
    throw new StoreError(code, `SQLite refused the operation (${err.code}): ${err.message}`, { cause: err });
  }
}
