/**
 * Group-committed checkpoints. Every event a worker runs sends its checkpoint writes here; the
 * writer commits what is pending in ONE store transaction (`Store.writeCheckpoints`) and lets
 * each waiter go only once its own write is durable. While one transaction is in flight the
 * next writes queue up and go together in the next: with one event in flight a write goes at
 * once (no added latency); with many, one commit carries many writes.
 *
 * A write refused alone (lease lost, a constraint) rejects its own waiter only. A transaction
 * that fails as a whole (the database went away) rejects every waiter of that batch: none of
 * their writes was made, and each run handles it as it handled a failed single write.
 */
import type { EventRecord } from '../core/types.js';
import type { CheckpointWrite, Store } from '../store/store.js';

interface Waiter {
  write: CheckpointWrite;
  resolve: (event: EventRecord | null) => void;
  reject: (err: unknown) => void;
}

export interface CheckpointWriterOptions {
  /** Writes in one transaction, at most. (Default: 64) */
  maxBatch?: number;
}

export class CheckpointWriter {
  private pending: Waiter[] = [];
  private flushing = false;
  private readonly maxBatch: number;

  constructor(
    private readonly store: Store,
    options: CheckpointWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
  }

  /** Resolves once `write` is durable (with the finished event if it had a finish). */
  write(write: CheckpointWrite): Promise<EventRecord | null> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.store.writeCheckpoints(batch.map((w) => w.write));
          batch.forEach((waiter, i) => {
            const result = results[i];
            if (result?.ok) waiter.resolve(result.event);
            else waiter.reject(result ? result.error : new Error('the store returned no result for a checkpoint write'));
          });
        } catch (err) {
          for (const waiter of batch) waiter.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
