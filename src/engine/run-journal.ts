/**
 * One run's checkpoint writes — every one of them: `processing` marks, outcomes, skips, a
 * condition's error, the finish, and the run's log lines. Nothing else in the engine writes a
 * checkpoint, so the order below holds for all of them (ARCHITECTURE.md, "Fewer commits an
 * event").
 *
 * An outcome is not written on its own. It waits, in memory, for the run's next write — the
 * next stage's `processing` mark, the event's finish, or a flush — and goes in the same
 * transaction. Skipped stages cost no commit of their own the same way.
 *
 * Nothing that depends on an outcome being stored runs before it is: the callbacks given with
 * an outcome (the `after-outcome` failpoint) run only once the write that carried it is
 * durable. A crash before that leaves the stage `processing`, exactly as a crash between the
 * stage's effect and its own outcome write always did: the next run reconciles or re-runs it
 * with the same idempotency key.
 */
import type { ErrorInfo, EventLogEntry, EventRecord, EventSummary, HttpExchange, JsonValue, SkipReason } from '../core/types.js';
import type { CheckpointWrite, EventFinish, StageOutcome, StageOutcomeWrite, StageStart, Store } from '../store/store.js';

export type WriteCheckpoint = (write: CheckpointWrite) => Promise<EventRecord | null>;
type AfterDurable = () => void | Promise<void>;

/** What an attempt recorded for the stage panel, stored with its outcome. */
export interface AttemptRecord {
  summaryPatch?: EventSummary;
  logs?: EventLogEntry[];
  exchanges?: HttpExchange[];
}

/** One attempt's identity in the history: its number, when it started, why it was made. */
export interface AttemptInfo {
  attempt: number;
  startedAt: Date | null;
  note?: string | null;
}

export class RunJournal {
  private outcomes: StageOutcomeWrite[] = [];
  private afterDurable: AfterDurable[] = [];

  constructor(
    private readonly writeCheckpoint: WriteCheckpoint,
    private readonly store: Pick<Store, 'appendEventLogs'>,
    private readonly eventId: number,
    private readonly leaseOwner: string,
    private readonly now: () => Date,
  ) {}

  /** The stage's `processing` mark (with the outcomes held so far), durable on return. */
  start(stage: string, attempt: AttemptInfo & { startedAt: Date }): Promise<unknown> {
    const start: StageStart = {
      eventId: this.eventId,
      stage,
      leaseOwner: this.leaseOwner,
      attempt: attempt.attempt,
      startedAt: attempt.startedAt,
    };
    if (attempt.note !== undefined) start.note = attempt.note;
    return this.write(start, undefined);
  }

  /** Held until the run's next write; `then` runs once that write is durable. */
  succeeded(stage: string, attempt: AttemptInfo, data: JsonValue | null, record: AttemptRecord, then?: AfterDurable): void {
    this.outcome(stage, attempt, { status: 'success', data }, record, then);
  }

  /** Held until the run's next write. */
  failed(stage: string, attempt: AttemptInfo, error: ErrorInfo, record: AttemptRecord = {}): void {
    this.outcome(stage, attempt, { status: 'error', error }, record);
  }

  /** Final; never started (attempt 0). Held until the run's next write. */
  skipped(stage: string, skipReason: SkipReason, exchanges: HttpExchange[] = []): void {
    this.outcome(stage, { attempt: 0, startedAt: null }, { status: 'skipped', skipReason }, { exchanges });
  }

  /**
   * A `when()` that threw is the stage's failure: an attempt of its own, marked and failed
   * (the error goes with the run's next write).
   */
  async conditionFailed(stage: string, attempt: number, error: ErrorInfo): Promise<void> {
    const startedAt = this.now();
    await this.start(stage, { attempt, startedAt });
    this.failed(stage, { attempt, startedAt }, error);
  }

  /** Lines in the event's log, after the outcomes held so far (the log keeps the run's order). */
  async log(entries: EventLogEntry[]): Promise<void> {
    await this.flush();
    await this.store.appendEventLogs(this.eventId, entries);
  }

  /** The event's finish, with the outcomes held so far, in one transaction. */
  async finish(finish: Omit<EventFinish, 'eventId' | 'leaseOwner' | 'now'>): Promise<EventRecord> {
    const event = await this.write(undefined, { eventId: this.eventId, leaseOwner: this.leaseOwner, now: this.now(), ...finish });
    if (event === null) throw new Error(`finishing event ${this.eventId} returned no event`);
    return event;
  }

  /** Writes the held outcomes, if any. */
  async flush(): Promise<void> {
    if (this.outcomes.length > 0) await this.write(undefined, undefined);
  }

  private outcome(stage: string, attempt: AttemptInfo, outcome: StageOutcome, record: AttemptRecord, then?: AfterDurable): void {
    // Field by field, not spread: this runs once a stage, on the worker's hottest path.
    const write: StageOutcomeWrite = {
      eventId: this.eventId,
      stage,
      leaseOwner: this.leaseOwner,
      outcome,
      attempt: attempt.attempt,
      startedAt: attempt.startedAt,
      completedAt: this.now(),
    };
    if (attempt.note !== undefined) write.note = attempt.note;
    if (record.summaryPatch !== undefined) write.summaryPatch = record.summaryPatch;
    if (record.logs !== undefined) write.logs = record.logs;
    if (record.exchanges !== undefined) write.exchanges = record.exchanges;
    this.outcomes.push(write);
    if (then) this.afterDurable.push(then);
  }

  private write(start: StageStart | undefined, finish: EventFinish | undefined): Promise<EventRecord | null> {
    const write: CheckpointWrite = { eventId: this.eventId, leaseOwner: this.leaseOwner, outcomes: this.outcomes };
    if (start) write.start = start;
    if (finish) write.finish = finish;
    this.outcomes = [];
    if (this.afterDurable.length === 0) return this.writeCheckpoint(write);
    const afterDurable = this.afterDurable;
    this.afterDurable = [];
    return this.writeThen(write, afterDurable);
  }

  /** The write, then (once it is durable) the callbacks given with its outcomes, in order. */
  private async writeThen(write: CheckpointWrite, afterDurable: AfterDurable[]): Promise<EventRecord | null> {
    const event = await this.writeCheckpoint(write);
    for (const then of afterDurable) await then();
    return event;
  }
}
