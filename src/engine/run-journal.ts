/**
 * One run's checkpoint writes, with fewer commits (ARCHITECTURE.md, "Fewer commits an
 * event"): an outcome is not written on its own. It waits, in memory, for the run's next
 * write — the next stage's `processing` mark, the event's finish, or a flush — and goes in
 * the same transaction. Skipped stages cost no commit of their own the same way.
 *
 * Nothing that depends on an outcome being stored runs before it is: the callbacks given with
 * an outcome (the `after-outcome` failpoint, metrics) run only once the write that carried it
 * is durable. A crash before that leaves the stage `processing`, exactly as a crash between
 * the stage's effect and its own outcome write always did: the next run reconciles or re-runs
 * it with the same idempotency key.
 */
import type { EventRecord } from '../core/types.js';
import type { CheckpointWrite, EventFinish, StageOutcomeWrite, StageStart } from '../store/store.js';

export type WriteCheckpoint = (write: CheckpointWrite) => Promise<EventRecord | null>;
type AfterDurable = () => void | Promise<void>;

export class RunJournal {
  private outcomes: StageOutcomeWrite[] = [];
  private afterDurable: AfterDurable[] = [];

  constructor(
    private readonly writeCheckpoint: WriteCheckpoint,
    private readonly eventId: number,
    private readonly leaseOwner: string,
  ) {}

  /** Kept until the next write of this run; `then` runs once it is durable. */
  outcome(write: StageOutcomeWrite, then?: AfterDurable): void {
    this.outcomes.push(write);
    if (then) this.afterDurable.push(then);
  }

  /** The stage's `processing` mark (with the outcomes held so far), durable on return. */
  async start(start: StageStart): Promise<void> {
    await this.write({ start });
  }

  async finish(finish: EventFinish): Promise<EventRecord> {
    const event = await this.write({ finish });
    if (event === null) throw new Error(`finishing event ${this.eventId} returned no event`);
    return event;
  }

  /** Writes the held outcomes, if any. */
  async flush(): Promise<void> {
    if (this.outcomes.length > 0) await this.write({});
  }

  private async write(parts: Pick<CheckpointWrite, 'start' | 'finish'>): Promise<EventRecord | null> {
    const outcomes = this.outcomes;
    const afterDurable = this.afterDurable;
    this.outcomes = [];
    this.afterDurable = [];
    const event = await this.writeCheckpoint({ eventId: this.eventId, leaseOwner: this.leaseOwner, outcomes, ...parts });
    for (const then of afterDurable) await then();
    return event;
  }
}
