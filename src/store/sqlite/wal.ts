import { existsSync, statfsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Keeps the WAL from eating the volume. SQLite's own auto-checkpoint (every ~40 MB, see
 * connection.ts) never runs on a volume smaller than that, and a WAL that has filled the
 * disk stays that size: on an 8 MB volume it grew to 6.6 MB next to a 4 KB database and
 * stayed there. So, on a timer, per process:
 * - when the database has been idle for a tick (no commit by anyone), a TRUNCATE checkpoint
 *   copies the WAL into the database file and cuts the WAL to zero bytes;
 * - when the volume is low on space, SQLite checkpoints after every ~256 KB of WAL and cuts
 *   the WAL back to 1 MB (WAL_LOW), and a PASSIVE checkpoint runs every tick;
 * - right after a write failed with SQLITE_FULL, the same, so freed space is used at once.
 * Both run with the busy timeout off: a checkpoint that would wait for another process is
 * skipped (tried again next tick), never blocking this process's event loop.
 */

/**
 * Auto-checkpoint (in pages of 4 KB) and the size the WAL is cut back to once a checkpoint
 * has let it restart, with plenty of space, and on a volume low on space. With plenty:
 * every ~40 MB, measured faster (connection.ts). When low: the WAL must stay small, because
 * a checkpoint grows the database file by the pages it copies; a WAL that has taken the
 * space the database needs can never be checkpointed (8 MB volume: 3.4 MB database + 4.8 MB
 * WAL, stuck at SQLITE_FULL even after 4 MB were freed, and after restarts).
 */
export const WAL_PLENTY = { autocheckpointPages: 10_000, journalSizeLimitBytes: 64 * 1024 * 1024 } as const;
const WAL_LOW = { autocheckpointPages: 64, journalSizeLimitBytes: 1024 * 1024 } as const;
/** Below this much free space on the volume, the WAL is kept small (WAL_LOW). (256 MiB) */
const LOW_SPACE_BYTES = 256 * 1024 * 1024;
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
  private low = false;

  constructor(
    private readonly db: Database.Database,
    private readonly ownWrites: () => number,
    private readonly options: WalCheckpointerOptions,
  ) {}

  start(): void {
    const intervalMs = this.options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (this.db.memory || intervalMs <= 0 || this.timer) return;
    this.adaptToSpace();
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
    this.adaptToSpace();
    if (this.walBytes() === 0) return;
    if (idle) this.checkpoint('TRUNCATE');
    else if (this.low) this.checkpoint('PASSIVE');
  }

  /** Switches between WAL_PLENTY and WAL_LOW as the volume's free space crosses LOW_SPACE_BYTES. */
  private adaptToSpace(): void {
    const low = this.lowOnSpace();
    if (low === this.low) return;
    this.low = low;
    const settings = low ? WAL_LOW : WAL_PLENTY;
    this.db.pragma(`wal_autocheckpoint = ${settings.autocheckpointPages}`);
    this.db.pragma(`journal_size_limit = ${settings.journalSizeLimitBytes}`);
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
