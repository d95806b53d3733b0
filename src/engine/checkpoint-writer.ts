/**
 * Group-committed checkpoints. Every event a worker runs sends its checkpoint writes here; the
 * writer commits what is pending in ONE store transaction (`Store.writeCheckpoints`) and lets
 * each waiter go only once its own write is durable. While `maxInFlight` transactions are in
 * flight the next writes queue up and go together in the next: an idle writer sends a write
 * at once (no added latency, not even a turn of the event loop); with many events in flight
 * one commit carries many writes.
 *
 * A write refused alone (lease lost, a constraint) rejects its own waiter only. A transaction
 * that fails as a whole (the database went away) rejects every waiter of that batch: none of
 * their writes was made, and each run handles it as it handled a failed single write.
 */
import type { EventRecord } from '../core/types.js';
import type { CheckpointWrite } from '../store/store.js';
import type { WorkerStore } from '../store/store-roles.js';

interface Waiter {
  write: CheckpointWrite;
  resolve: (event: EventRecord | null) => void;
  reject: (err: unknown) => void;
}

export interface CheckpointWriterOptions {
  /** Writes in one transaction, at most. (Default: 64) */
  maxBatch?: number;
  /**
   * Transactions in flight at once. On PostgreSQL each write of a batch costs a few round
   * trips in its transaction: with one batch at a time those round trips, not the commits,
   * would bound the worker. (Default: the store's `writeBatchesInFlight`: 4 on PostgreSQL, within its default pool of 10; 1 on SQLite)
   *
   * On SQLite a call is in flight while its committed batch waits for the WAL fsync on the
   * thread pool (the loop is free meanwhile). A second batch committed then would wait for
   * the NEXT fsync, which starts when this one returns — before the runs this one releases
   * have written: the runs split into two cohorts that alternate, each fsync covering half
   * the writes. Holding the next batch until the fsync returns lets it carry those runs'
   * writes too: one fsync for all. bench/pipeline.ts (bench/README.md, 2026-12-06 13:15)
   * measured 1 ahead of 4 at concurrency 4 and 32 on a loaded machine, where each fsync's
   * two thread hops cost most.
   */
  maxInFlight?: number;
}

export class CheckpointWriter {
  private pending: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;
  private settledThisTurn = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly store: WorkerStore,
    options: CheckpointWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.maxInFlight = options.maxInFlight ?? store.writeBatchesInFlight;
  }

  /** Resolves once `write` is durable (with the finished event if it had a finish). */
  write(write: CheckpointWrite): Promise<EventRecord | null> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (this.idle()) void this.commit(this.pending.splice(0));
      else this.schedule();
    });
  }

  /**
   * Nothing in flight, nothing queued, and no batch settled in this turn of the event loop (so
   * no burst of runs is resuming that would add writes this turn): the write goes at once —
   * an idle worker's first `processing` mark waits for nothing.
   */
  private idle(): boolean {
    return this.inFlight === 0 && !this.scheduled && !this.settledThisTurn && this.pending.length === 1;
  }

  /**
   * Marks this turn as busy: writes that come before the next turn wait to go together. The
   * turn's end also starts their batch (one setImmediate a batch, not two: the runs a batch
   * releases write in this turn, and schedule() would otherwise queue a second hop for them).
   */
  private noteSettled(): void {
    if (this.settledThisTurn) return;
    this.settledThisTurn = true;
    const startsBatches = !this.scheduled;
    this.scheduled = true;
    setImmediate(() => {
      this.settledThisTurn = false;
      if (startsBatches) this.startBatches();
    });
  }

  /**
   * Starts batches on the next turn of the event loop, so the writes of every run that resumed
   * in this turn go together (SQLite commits synchronously: without this pause, no batch
   * would ever hold more than the first write).
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.startBatches());
  }

  /** The scheduled turn has come: as many batches as may be in flight, from what is pending. */
  private startBatches(): void {
    this.scheduled = false;
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      void this.commit(this.pending.splice(0, this.maxBatch));
    }
  }

  private async commit(batch: Waiter[]): Promise<void> {
    this.inFlight += 1;
    try {
      const results = await this.store.writeCheckpoints(batch.map((w) => w.write));
      batch.forEach((waiter, i) => {
        const result = results[i];
        if (result?.ok) waiter.resolve(result.event);
        else waiter.reject(result ? result.error : new Error('the store returned no result for a checkpoint write'));
      });
    } catch (err) {
      for (const waiter of batch) waiter.reject(err);
    } finally {
      this.inFlight -= 1;
      this.noteSettled();
      this.schedule();
    }
  }
}
