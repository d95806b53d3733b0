/**
 * The worker's claim loop: fills the free slots with claimed events, then sleeps until a
 * wake-up, the next scheduled retry or pollMs. See ARCHITECTURE.md, section 1.
 */
import type { Logger } from 'pino';
import type { EventRecord } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import type { RunTracker } from './run-tracker.js';
import type { WakeableSleep } from './wakeable-sleep.js';

/** Claims taken in one transaction, at most (a burst of free slots fills in a few commits). */
const MAX_CLAIM_BATCH = 16;

export interface ClaimLoopOptions {
  store: WorkerStore;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  now: () => Date;
  logger: Logger;
  runs: RunTracker;
  idle: WakeableSleep;
  isStopping: () => boolean;
}

export class ClaimLoop {
  // Each claim writes its own lease owner, `<worker id>#<n>`. If this worker oversleeps a
  // lease (a blocked event loop, a paused VM) its claim loop may take the same event again;
  // with one name for both runs, the first run's renewals and fenced writes would still pass
  // and two runs of one event would interleave. With a name per claim the first run is
  // fenced out exactly as if another worker had taken over.
  private claims = 0;

  constructor(private readonly options: ClaimLoopOptions) {}

  /** Claims and sleeps until the worker stops. */
  async run(): Promise<void> {
    const { idle, runs, concurrency, pollMs, isStopping } = this.options;
    while (!isStopping()) {
      idle.forgetEarlierWakeUps();
      await this.claimFreeSlots();
      if (isStopping()) break;
      await idle.sleep(runs.count >= concurrency ? pollMs : await this.idleDelay());
    }
  }

  /** Claims until every slot is taken or nothing is claimable; each free slot in one claim transaction, at most MAX_CLAIM_BATCH. */
  private async claimFreeSlots(): Promise<void> {
    const { store, runs, concurrency, leaseMs, now, logger, isStopping } = this.options;
    while (!isStopping() && runs.count < concurrency) {
      const owners = this.nextOwners(Math.min(MAX_CLAIM_BATCH, concurrency - runs.count));
      let events: EventRecord[];
      try {
        events = await store.claimNextEvents({ workerIds: owners, leaseMs, now: now() });
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'claim failed');
        return;
      }
      // The store claims in the owners' order and stops at the first miss: event i is owners[i]'s.
      events.forEach((event, i) => runs.start(event, owners[i]!));
      if (events.length < owners.length) return;
    }
  }

  /** The lease owners of the next `count` claims. */
  private nextOwners(count: number): string[] {
    return Array.from({ length: count }, () => `${this.options.workerId}#${++this.claims}`);
  }

  /** How long to sleep with nothing claimable: until the next scheduled retry, at most pollMs. */
  private async idleDelay(): Promise<number> {
    const { store, pollMs, now } = this.options;
    try {
      const next = await store.nextWakeAt();
      // A due time in the past belongs to an event we could not claim (its entity is busy):
      // only a future time may shorten the sleep.
      const untilNext = next ? next.getTime() - now().getTime() : Infinity;
      return untilNext > 0 ? Math.min(pollMs, untilNext) : pollMs;
    } catch {
      return pollMs;
    }
  }
}
