import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreError } from '../../core/errors.js';

/**
 * Wraps each fsync of the WAL (a test seam): it is given the real fsync and resolves or
 * rejects as the fsync's callers should see it, so a test can observe, hold or fail it.
 */
export type WalFsyncHook = (fsync: () => Promise<void>) => Promise<void>;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Syncs the WAL file to disk on libuv's thread pool, so a commit's fsync does not block the
 * event loop.
 *
 * Why: with `synchronous=FULL` SQLite fsyncs the WAL inside COMMIT, on the thread that runs
 * it — Node's only one. bench/ingest.ts measured 26 ms a commit on this machine's loaded
 * disk, the event loop blocked 7.4 s out of 11 (no request read, parsed or verified
 * meanwhile). A commit run with `synchronous=NORMAL` writes the same WAL frames but skips
 * that fsync; calling fsync on the WAL file afterwards, before anyone is told the commit
 * happened, leaves the disk in the state FULL's own fsync leaves it in (fsync flushes the
 * file, whichever descriptor asks). It is fdatasync: the data and the size needed to read
 * it back, not the mtime, whose journal commit a plain fsync pays on every call. SQLite itself
 * syncs with fdatasync where its build has HAVE_FDATASYNC (better-sqlite3's build lacks it and
 * calls fsync, seen with strace). On this machine the off-loop fsync lost to FULL's at
 * concurrency 4; the fdatasync did not (bench/README.md, 2026-12-06). Checkpoints sync the WAL first under NORMAL as under
 * FULL, so they never copy unsynced frames.
 *
 * The WAL file is opened on first use (SQLite creates it on the first write) and, as SQLite
 * does for a journal it created, its directory is synced once so the file's name is durable
 * too. It is never deleted while this connection is open (only the last connection to close
 * removes it), so the descriptor keeps pointing at the live WAL.
 */
export class WalSync {
  readonly #walPath: string;
  readonly #hook: WalFsyncHook;
  #handle: Promise<FileHandle> | null = null;
  /** Callers waiting for an fsync that has not started yet: the next one covers them all. */
  #waiting: Waiter[] = [];
  #running = false;
  /**
   * Set by the first fsync that fails, and final until the store is reopened. After an fsync
   * error Linux may have dropped the dirty pages it could not write and marked them clean, so
   * a later fsync can succeed with part of the WAL never written: acknowledging anything after
   * that would be a lie. PostgreSQL stops (PANIC) for the same reason; this connection refuses
   * every later sync instead, so no delivery is acknowledged and no stage starts until the
   * process is restarted and SQLite recovers from what is really on disk. Failing to open the
   * WAL file is not such a failure (nothing was synced or dropped): the next sync opens again.
   */
  #failure: StoreError | null = null;

  constructor(db: Database.Database, hook: WalFsyncHook = (fsync) => fsync()) {
    // Resolved now: a relative name would follow a later process.chdir().
    this.#walPath = `${resolve(db.name)}-wal`;
    this.#hook = hook;
  }

  /** Whether this connection can use it: a file database in WAL mode. */
  static applies(db: Database.Database): boolean {
    return !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal';
  }

  /**
   * Resolves once everything written to the WAL before this call is on disk, by an fsync that
   * started after it. Callers are coalesced: one fsync in flight, and every caller that comes
   * while it runs waits for the next one, which starts when it returns and covers them all
   * (an fsync flushes whatever the file holds when it starts, not what is written during it).
   * A failed fsync rejects the callers it was to cover (their commits are written but not
   * known to be durable) and every later caller: see `#failure`.
   */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#running) return;
      this.#running = true;
      // Started after the current synchronous run: the callers of this tick share one fsync.
      queueMicrotask(() => void this.#drain());
    });
  }

  /** Runs fsyncs back to back while callers wait: at most one in flight. */
  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const covered = this.#waiting;
      this.#waiting = [];
      try {
        if (this.#failure) throw this.#failure;
        await this.#hook(() => this.#fsync());
        for (const waiter of covered) waiter.resolve();
      } catch (err) {
        if (!(err instanceof WalOpenError)) this.#failure ??= syncFailure(this.#walPath, err);
        for (const waiter of covered) waiter.reject(this.#failure ?? err);
      }
    }
    this.#running = false;
  }

  async #fsync(): Promise<void> {
    const handle = await (this.#handle ??= this.#open());
    await handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    if (handle) await (await handle).close();
  }

  async #open(): Promise<FileHandle> {
    try {
      const handle = await open(this.#walPath, 'r');
      const directory = await open(dirname(this.#walPath), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      return handle;
    } catch (err) {
      this.#handle = null; // a failed open is tried again by the next sync
      throw new WalOpenError(err);
    }
  }
}

/** The WAL file could not be opened: nothing was synced, so the next sync may try again. */
class WalOpenError extends Error {
  constructor(cause: unknown) {
    super(`could not open the SQLite WAL file to sync it: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function syncFailure(walPath: string, cause: unknown): StoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'WAL_SYNC_FAILED',
    `fsync of the SQLite WAL ${walPath} failed (${reason}); writes are no longer acknowledged by this process: ` +
      'check the disk, then restart webpig (SQLite recovers from what is on disk)',
    { cause },
  );
}
