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

interface Slot {
  /** Opened on this slot's first fsync. */
  handle: Promise<FileHandle> | null;
  /** An fsync runs in it, or is about to start. */
  busy: boolean;
}

/** fdatasyncs of the WAL in flight at once, by default (see the constructor). */
export const WAL_SYNCS_IN_FLIGHT = 2;

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
  /** One per fsync that may be in flight, each with its own descriptor (see `#fsync`). */
  readonly #slots: Slot[];
  /** Callers waiting for an fsync that has not started yet: the next one covers them all. */
  #waiting: Waiter[] = [];
  /** An fsync is due to start after the current synchronous run (its slot is taken). */
  #startScheduled = false;
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

  /**
   * `inFlight`: fsyncs allowed to run at once. 2 by default: a caller that comes while one
   * runs starts its own at once instead of waiting for it to end and then for its own. On this
   * machine's disk concurrent fdatasyncs of one file overlap (a journal commit serves both):
   * 1 in flight did 690–1,850 fdatasyncs/s, 2 in flight 2,760–6,460/s (bench/README.md,
   * 2026-12-06 16:30).
   */
  constructor(db: Database.Database, hook: WalFsyncHook = (fsync) => fsync(), inFlight = WAL_SYNCS_IN_FLIGHT) {
    // Resolved now: a relative name would follow a later process.chdir().
    this.#walPath = `${resolve(db.name)}-wal`;
    this.#hook = hook;
    this.#slots = Array.from({ length: Math.max(1, inFlight) }, () => ({ handle: null, busy: false }));
  }

  /** Whether this connection can use it: a file database in WAL mode. */
  static applies(db: Database.Database): boolean {
    return !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal';
  }

  /**
   * Resolves once everything written to the WAL before this call is on disk, by an fsync that
   * started after it (an fsync flushes whatever the file holds when it starts, not what is
   * written during it). Callers are coalesced: those of one synchronous run, and those that
   * come while every slot is busy, share the next fsync to start. A failed fsync rejects the
   * callers it was to cover (their commits are written but not known to be durable), the
   * callers of fsyncs that were running beside it, and every later caller: see `#failure`.
   */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Starts an fsync for the waiting callers in a free slot, after the current synchronous run
   * (its later callers share it). With no free slot, the first fsync to return starts it.
   */
  #schedule(): void {
    if (this.#startScheduled || this.#waiting.length === 0) return;
    const slot = this.#slots.find((s) => !s.busy);
    if (slot === undefined) return;
    slot.busy = true;
    this.#startScheduled = true;
    queueMicrotask(() => {
      this.#startScheduled = false;
      void this.#run(slot);
    });
  }

  /** One fsync covering every caller waiting when it starts. */
  async #run(slot: Slot): Promise<void> {
    const covered = this.#waiting;
    this.#waiting = [];
    try {
      if (this.#failure) throw this.#failure;
      await this.#hook(() => this.#fsync(slot));
      // An fsync that failed while this one ran may have dropped pages this one was to cover.
      if (this.#failure) throw this.#failure;
      for (const waiter of covered) waiter.resolve();
    } catch (err) {
      if (!(err instanceof WalOpenError)) this.#failure ??= syncFailure(this.#walPath, err);
      for (const waiter of covered) waiter.reject(this.#failure ?? err);
    } finally {
      slot.busy = false;
      this.#schedule();
    }
  }

  /**
   * fdatasync on the slot's own descriptor. Linux reports a writeback error once to each open
   * file description that predates it (errseq): with one descriptor shared by two concurrent
   * fsyncs, the one that checks first would take the error and the other could return success
   * although the lost pages were among those it was to cover. One descriptor a slot, each
   * fsync hears of every error that touches what it covers.
   */
  async #fsync(slot: Slot): Promise<void> {
    const handle = await (slot.handle ??= this.#open(slot));
    await handle.datasync();
  }

  async close(): Promise<void> {
    const handles = this.#slots.map((slot) => slot.handle);
    for (const slot of this.#slots) slot.handle = null;
    for (const handle of handles) if (handle) await (await handle).close();
  }

  async #open(slot: Slot): Promise<FileHandle> {
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
      slot.handle = null; // a failed open is tried again by the next sync
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
