/**
 * What stops one stage attempt: its timeout, the worker's shutdown (stop({ abort: true })) or
 * the event's lost lease, whichever comes first, with that one's reason (as AbortSignal.any
 * would). The engine races the stage's promise against it; the stage sees it as `ctx.signal`.
 *
 * The AbortController behind `ctx.signal` is made only when the stage reads it: most attempts
 * of a busy worker never do (a stage that calls no fetch), and a controller, its signal and the
 * race's listener on it were the largest engine cost an attempt in a CPU profile at
 * concurrency 32 (bench/README.md). A signal read after the stop fired is made already aborted,
 * with the same reason.
 */
import { ShutdownError, StageTimeoutError } from './errors.js';

/** The attempts waiting on each shared signal, behind one listener of its own. */
const waitingOn = new WeakMap<AbortSignal, Set<AttemptStop>>();

export class AttemptStop {
  private controller: AbortController | undefined;
  private fired = false;
  private reason: unknown;
  private rejectRace: ((reason: unknown) => void) | undefined;
  /** When the timeout fires (performance.now() ms). */
  readonly deadline: number;

  /**
   * Armed at once: the timeout runs from now, and a shutdown or lease signal that has already
   * fired stops the attempt before it starts. `disarm()` must be called when the attempt ends.
   */
  constructor(
    readonly stage: string,
    readonly timeoutMs: number,
    private readonly shutdownSignal: AbortSignal,
    private readonly leaseSignal: AbortSignal,
  ) {
    this.deadline = performance.now() + timeoutMs;
    timeouts.add(this);
    watch(shutdownSignal, this);
    watch(leaseSignal, this);
  }

  /** The stage's `ctx.signal` (made on first read). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.fired) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** First reason wins; fires the stage's signal (if it has one) and rejects the race in progress. */
  abort(reason: unknown): void {
    if (this.fired) return;
    this.fired = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /** A shared signal this attempt watches has fired. */
  signalFired(signal: AbortSignal): void {
    this.abort(signal === this.leaseSignal ? signal.reason : new ShutdownError());
  }

  /**
   * Resolves with the promise, or rejects with the stop's reason as soon as it fires: a stage
   * that ignores its signal is not waited for, and its late result is discarded.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.fired) {
      // Not waited for, but its rejection (a fetch given the aborted signal rejects at once) is
      // handled here: unhandled, it would end the process.
      promise.catch(() => undefined);
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      promise.then(resolve, reject);
    });
  }

  /** The attempt is over: no timeout, no longer waiting on the shared signals. */
  disarm(): void {
    timeouts.remove(this);
    this.rejectRace = undefined;
    waitingOn.get(this.shutdownSignal)?.delete(this);
    waitingOn.get(this.leaseSignal)?.delete(this);
  }
}

/** setTimeout's longest delay; a longer one would fire after 1 ms. */
const LONGEST_DELAY_MS = 2 ** 31 - 1;

/**
 * The attempts' timeouts, one list a duration, one timer a list. A timer an attempt (a
 * setTimeout and a clearTimeout) cost more than the rest of an attempt's stop: Node's list of
 * that duration emptied each time a cohort of runs ended their stages together, so every
 * attempt's setTimeout could create the list again, read the loop's clock and reschedule the
 * libuv timer (bench/README.md). Attempts of one duration end in the order they started, so a
 * list's first attempt is always the next to time out: a Set (insertion order) is the queue.
 */
class TimeoutLists {
  private readonly lists = new Map<number, { stops: Set<AttemptStop>; timer: NodeJS.Timeout | undefined }>();

  add(stop: AttemptStop): void {
    let list = this.lists.get(stop.timeoutMs);
    if (list === undefined) {
      list = { stops: new Set(), timer: undefined };
      this.lists.set(stop.timeoutMs, list);
    }
    list.stops.add(stop);
    if (list.timer === undefined) list.timer = this.arm(stop.timeoutMs, stop.timeoutMs);
    else list.timer.ref();
  }

  /**
   * An emptied list's timer is unref'd, not cleared: an idle worker's timer does not keep the
   * process alive, and the next cohort of attempts does not rebuild Node's timer list
   * (clearing it at every cohort's step cost a setTimeout's full path again each time). When it
   * fires on an empty list it is simply not armed again.
   */
  remove(stop: AttemptStop): void {
    const list = this.lists.get(stop.timeoutMs);
    if (list === undefined || !list.stops.delete(stop) || list.stops.size > 0) return;
    list.timer?.unref();
  }

  private arm(timeoutMs: number, delayMs: number): NodeJS.Timeout {
    return setTimeout(() => this.fire(timeoutMs), Math.min(Math.max(1, Math.ceil(delayMs)), LONGEST_DELAY_MS));
  }

  /** Stops every attempt of the list whose deadline has come, then waits for the next one. */
  private fire(timeoutMs: number): void {
    const list = this.lists.get(timeoutMs);
    if (list === undefined) return;
    list.timer = undefined;
    const now = performance.now();
    for (const stop of list.stops) {
      if (stop.deadline > now) {
        list.timer = this.arm(timeoutMs, stop.deadline - now);
        return;
      }
      list.stops.delete(stop);
      stop.abort(new StageTimeoutError(stop.stage, stop.timeoutMs));
    }
  }
}

const timeouts = new TimeoutLists();

/**
 * Stops `stop` when `signal` fires (at once if it has). The worker's shutdown signal is shared
 * by every running attempt: with a listener of each, adding and removing one walked the
 * signal's list of all of them, twice an attempt; here it is one Set add and delete.
 */
function watch(signal: AbortSignal, stop: AttemptStop): void {
  if (signal.aborted) {
    stop.signalFired(signal);
    return;
  }
  let waiting = waitingOn.get(signal);
  if (!waiting) {
    const stops = new Set<AttemptStop>();
    signal.addEventListener('abort', () => stops.forEach((s) => s.signalFired(signal)), { once: true });
    waitingOn.set(signal, stops);
    waiting = stops;
  }
  waiting.add(stop);
}
