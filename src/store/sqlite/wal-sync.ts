import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';

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
 * file, whichever descriptor asks). Checkpoints sync the WAL first under NORMAL as under
 * FULL, so they never copy unsynced frames.
 *
 * The WAL file is opened on first use (SQLite creates it on the first write) and, as SQLite
 * does for a journal it created, its directory is synced once so the file's name is durable
 * too. It is never deleted while this connection is open (only the last connection to close
 * removes it), so the descriptor keeps pointing at the live WAL.
 */
export class WalSync {
  readonly #walPath: string;
  #handle: Promise<FileHandle> | null = null;

  constructor(db: Database.Database) {
    // Resolved now: a relative name would follow a later process.chdir().
    this.#walPath = `${resolve(db.name)}-wal`;
  }

  /** Whether this connection can use it: a file database in WAL mode. */
  static applies(db: Database.Database): boolean {
    return !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal';
  }

  /** Resolves once everything written to the WAL so far is on disk. */
  async sync(): Promise<void> {
    const handle = await (this.#handle ??= this.#open());
    await handle.sync();
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
      throw err;
    }
  }
}
