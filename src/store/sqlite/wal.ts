import { existsSync, statfsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Keeps the WAL from eating the volume. SQLite's own auto-checkpoint (every ~40 MB, see
 * connection.ts) never runs on a volume smaller than that, and a WAL that has filled the
 * disk stays that size: on an 8 MB volume it grew to 6.6 MB next to a 4 KB database and
 * stayed there. So, on a timer, per process:
 * - when the database has been idle for a tick (no commit by anyone), a TRUNCATE checkpoint
 *   copies the WAL into the database file and cuts the WAL to zero bytes;
 * - when the volume is low on space, a PASSIVE checkpoint every tick even under traffic,
 *   so the WAL is rewritten from its start instead of growing;
 * - right after a write failed with SQLITE_FULL, the same, so freed space is used at once.
 * Both run with the busy timeout off: a checkpoint that would wait for another process is
 * skipped (tried again next tick), never blocking this process's event loop.
 */

/** The WAL is cut back to this after a checkpoint resets it. (64 MiB) */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Below this much free space on the volume, checkpoint every tick. (64 MiB) */
const LOW_SPACE_BYTES = 64 * 1024 * 1024;
/** (Default: 1 s) */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;

export interface WalCheckpointerOptions {
  /** How often to look at the WAL; 0 turns the checkpointer off. (Default: 1000 ms) */
  intervalMs?: number;
  /** The busy timeout to restore after each checkpoint. */
  busyTimeoutMs: number;
}

export class WalCheckpointer {
  private timer: NodeJS.Timeout | null = null;
  private lastDataVersion = -1;
  private lastOwnWrites = -1;

  constructor(
    private readonly db: Database.Database,
    private readonly ownWrites: () => number,
    private readonly options: WalCheckpointerOptions,
  ) {}

  start(): void {
    const intervalMs = this.options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (this.db.memory || intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** After SQLITE_FULL: checkpoint as soon as the failed transaction is out of the way. */
  diskFull(): void {
    setImmediate(() => this.checkpoint('PASSIVE'));
  }

  private walBytes(): number {
    const wal = `${this.db.name}-wal`;
    return existsSync(wal) ? statSync(wal).size : 0;
  }

  private lowOnSpace(): boolean {
    try {
      const fs = statfsSync(this.db.name);
      return fs.bavail * fs.bsize < LOW_SPACE_BYTES;
    } catch {
      return false;
    }
  }

  private tick(): void {
    if (!this.db.open || this.db.inTransaction) return;
    // data_version changes when another connection commits; our own commits are counted by the context.
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    const ownWrites = this.ownWrites();
    const idle = dataVersion === this.lastDataVersion && ownWrites === this.lastOwnWrites;
    this.lastDataVersion = dataVersion;
    this.lastOwnWrites = ownWrites;
    if (this.walBytes() === 0) return;
    if (idle) this.checkpoint('TRUNCATE');
    else if (this.lowOnSpace()) this.checkpoint('PASSIVE');
  }

  private checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
    if (!this.db.open || this.db.inTransaction) return;
    try {
      this.db.pragma('busy_timeout = 0');
      this.db.pragma(`wal_checkpoint(${mode})`);
    } catch {
      // Busy (another process is writing or reading an old snapshot) or still no space: next tick.
    } finally {
      if (this.db.open) this.db.pragma(`busy_timeout = ${this.options.busyTimeoutMs}`);
    }
  }
}
