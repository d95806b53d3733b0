/**
 * Reconciliation (docs/reconcile.md): lists a provider's own records for a window, and creates
 * each event webpig never received exactly as its webhook would have — same normalisation,
 * same dedupe key, marked `origin: 'reconciliation'` — so the pipeline runs on it as usual.
 * A webhook arriving late (or during the run) is a duplicate of it where the webhook carries the
 * state it reports (Stripe, ePayco); a MercadoPago notification carries only an id, so it is a
 * second event of the same entity, run after the first by a pipeline that re-reads the payment
 * (merging them would lose a notification about a changed payment).
 *
 * Progress is recorded after every page, so a run that stops (an API that keeps failing, a
 * SIGKILL) is resumed by the next one from the page it reached, then the time since it started
 * is listed again. Creating is idempotent (the store's dedupe), so a page listed twice creates
 * nothing twice. The store is written one short insert at a time: ingestion never waits on it.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage, WebpigError } from '../core/errors.js';
import type { EventRecord } from '../core/types.js';
import type { ListedItem, ProviderList } from '../sources/listing/provider-list.js';
import { ProviderApiError } from '../sources/listing/provider-list.js';
import { raiseNeverNotifiedAlert, raiseRunFailedAlert, resolveOverdueAlert, resolveRunFailedAlert } from './reconcile-alerts.js';
import { claimRun, ReconcileClaimLostError, type RunClaim } from './reconcile-claim.js';
import type { ReconciliationResume } from '../store/store.js';
import type { JobStore } from '../store/store-roles.js';

export interface ReconcileOptions {
  store: JobStore;
  source: string;
  list: ProviderList;
  /** The window starts here (a resumed run lists its interrupted window first). */
  since: Date;
  /** List and compare only: nothing is created or recorded. (Default: false) */
  dryRun?: boolean;
  /** Waits after a 429/5xx answer, one per retry of a page. (Default: 1 s, 5 s, 30 s) */
  backoffMs?: readonly number[];
  /** (Default: () => new Date()) */
  now?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Stops the run (worker shutdown): cuts a request in flight and a backoff's wait; the next run resumes. */
  signal?: AbortSignal;
  /** (Default: setTimeout, cut short when `signal` aborts) — tests pass a quicker one. */
  sleep?: (ms: number) => Promise<void>;
  /** How long the run's claim on the source lasts unrenewed (it is renewed while the run goes on). (Default: 60 s) */
  leaseMs?: number;
  /**
   * The longest a provider's `Retry-After` is waited for; one asking for more stops the run
   * (recorded, resumed by the next one) instead of holding a command or a worker's shutdown.
   * (Default: 60 s)
   */
  maxRetryAfterMs?: number;
  /** Told of each wait before a page is tried again (the command says it, so a wait is not a hang). (Default: only logged) */
  onRetry?: (retry: { error: string; waitMs: number }) => void;
}

export interface ReconcileResult {
  source: string;
  provider: string;
  /** Where the window started: as asked, or as far back as the provider's list reaches (`cut`). */
  since: Date;
  /** The window asked reached further back than the provider's list: what was asked, and the list's reach. */
  cut: { asked: Date; reachesBackMs: number } | null;
  /** The run continued one that had stopped (its window and page). */
  resumed: ReconciliationResume | null;
  listed: number;
  /** Items webpig had not received (with --dry-run: what a run would create). */
  missing: Array<{ providerEventId: string; type: string }>;
  /** Events this run created; a webhook that won the race is not one of them. */
  created: EventRecord[];
  /** Ids the provider reports as not delivered, where it can say. */
  undelivered: string[] | null;
  /** Why that report could not be read (the run's events are made all the same). */
  undeliveredError: string | null;
}

/** Margin listed again before an interrupted run's start: provider clocks and `created` are in seconds. */
const RESUME_OVERLAP_MS = 5 * 60_000;
const DEFAULT_BACKOFF_MS = [1_000, 5_000, 30_000];
/** A window asked at most this much further back than the provider's list reaches is its reach. */
const REACH_SLACK_MS = 60_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** A worker shutting down stopped the run between two pages; the next run resumes it. */
export class ReconcileStoppedError extends WebpigError {
  constructor() {
    super('RECONCILE_STOPPED', 'reconciliation stopped before the end of the window (shutdown); the next run resumes it');
  }
}

/**
 * Runs one reconciliation of the source. Throws ReconcileBusyError, changing nothing, while
 * another run holds the source (a worker's scheduled run, a command run by hand); a dry run
 * writes nothing, so it runs alongside.
 */
export async function reconcileSource(asked: ReconcileOptions): Promise<ReconcileResult> {
  const options = withinReach(asked);
  if (options.dryRun) return runClaimed(options);
  const claim = await claimRun(options.store, options.source, options.now ?? (() => new Date()), options.leaseMs);
  try {
    const signal = AbortSignal.any(options.signal ? [options.signal, claim.lost] : [claim.lost]);
    return await runClaimed({ ...options, signal }, claim);
  } finally {
    // Unreleased (the database gone at the very end), the claim ends with its lease: the run's
    // own outcome, its events created and recorded, is what the caller is told.
    await claim.release().catch((err: unknown) => {
      options.logger?.warn(
        { source: options.source, error: errorMessage(err) },
        'the run could not release its claim; it lapses in a minute',
      );
    });
  }
}

/**
 * The window from as far back as the provider's list reaches, when asked further: listing more
 * finds nothing, and recording it as covered would say payments were compared that were not.
 */
function withinReach(options: ReconcileOptions): ReconcileOptions & { cut: ReconcileResult['cut'] } {
  const reach = options.list.reachesBackMs;
  const oldest = reach === undefined ? null : new Date((options.now ?? (() => new Date()))().getTime() - reach);
  if (reach === undefined || oldest === null || options.since.getTime() >= oldest.getTime()) return { ...options, cut: null };
  // The clock moved between asking and listing (`--since 30d` for Stripe, computed before the
  // command opened the database): the window is the list's reach, not a cut worth a word.
  if (oldest.getTime() - options.since.getTime() <= REACH_SLACK_MS) return { ...options, since: oldest, cut: null };
  return { ...options, since: oldest, cut: { asked: options.since, reachesBackMs: reach } };
}

/** The run itself, once the source is this run's (or for a dry run). */
async function runClaimed(options: ReconcileOptions & { cut: ReconcileResult['cut'] }, claim?: RunClaim): Promise<ReconcileResult> {
  const { store, source, list } = options;
  const now = options.now ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  // Read under the claim: a resume point now is one a run left when it stopped, not one in flight.
  const state = await store.getReconciliationState(source);
  // A window reaching further back than the interrupted one (`--since 7d` after the job's 48 h)
  // is listed whole: resuming would list only the interrupted window and skip the rest.
  const interrupted = dryRun ? null : (state?.resume ?? null);
  const resumed = interrupted && interrupted.since.getTime() <= options.since.getTime() ? interrupted : null;
  const startedAt = claim?.startedAt ?? now();
  // The interrupted window's remaining pages, then everything since that run began.
  const passes: ReconciliationResume[] = resumed
    ? [resumed, { since: later(options.since, new Date((state?.lastStartedAt ?? startedAt).getTime() - RESUME_OVERLAP_MS)), cursor: null }]
    : [{ since: options.since, cursor: null }];
  const result: ReconcileResult = {
    source,
    provider: list.provider,
    since: options.since,
    cut: options.cut,
    resumed,
    listed: 0,
    missing: [],
    created: [],
    undelivered: null,
    undeliveredError: null,
  };
  if (claim) heldOrStop(await store.recordReconciliationStart(source, startedAt, passes[0] as ReconciliationResume, claim.owner), source);
  try {
    for (const [index, pass] of passes.entries()) {
      if (index > 0 && claim) heldOrStop(await store.recordReconciliationProgress(source, pass, 0, claim.owner), source);
      await listPass(options, pass, result, claim);
    }
  } catch (err) {
    // A run that lost its claim leaves the record to the run that holds the source now (the
    // store refuses its write anyway: fenced by the claim).
    if (claim && !claim.lost.aborted && !(err instanceof ReconcileClaimLostError)) {
      const recorded = await store.recordReconciliationEnd(
        { source, now: now(), listed: result.listed, recovered: result.created.length, error: errorMessage(err) },
        claim.owner,
      );
      // Payments since the window's start may be missing, and no one is told otherwise. A
      // shutdown or Ctrl-C is no failure: the next run (a restart, the command again) resumes it.
      if (recorded && !(err instanceof ReconcileStoppedError)) {
        const since = list.listsBy === 'references' ? null : (passes[0] as ReconciliationResume).since;
        const failed = { source, provider: list.provider, since, error: err };
        // The run's own error is what the caller is told, even if the alert cannot be stored.
        await raiseRunFailedAlert(store, failed, now()).catch((alertErr: unknown) => {
          options.logger?.warn({ source, error: errorMessage(alertErr) }, 'the alert of the failed run could not be stored');
        });
      }
    }
    throw err;
  }
  // Only a report: the window was listed whole, so failing to read it does not fail the run
  // (which would leave it unfinished, and the command saying nothing of what it created).
  if (list.undelivered) {
    try {
      result.undelivered = await withBackoff(options, () => list.undelivered!(options.since, options.signal));
    } catch (err) {
      // Stopped while reading it (Ctrl-C after the last page): the window was listed all the same.
      result.undeliveredError =
        err instanceof ReconcileStoppedError ? 'not read: the run was stopped after its last page' : errorMessage(err);
      options.logger?.warn({ source, error: result.undeliveredError }, 'the list of undelivered events could not be read');
    }
  }
  if (claim) {
    const ended = await store.recordReconciliationEnd(
      {
        source,
        now: now(),
        listed: result.listed,
        recovered: result.created.length,
        error: null,
        // The window listed whole: from the first pass's start (an interrupted window reaches
        // further back) to this run's start; a later record may or may not have been listed.
        covered:
          list.listsBy === 'references'
            ? { by: 'references' }
            : { by: 'dates', from: (passes[0] as ReconciliationResume).since, until: startedAt },
      },
      claim.owner,
    );
    // The events it created are real whoever records the window: their alert is raised either way.
    if (result.created.length > 0) await raiseNeverNotifiedAlert(store, result, now());
    // The window listed whole: what a failed run of the source left unlisted has been listed now,
    // and the source's reconciliation is happening again (no longer overdue).
    if (ended) {
      await resolveRunFailedAlert(store, source, now());
      await resolveOverdueAlert(store, source, now());
    }
    heldOrStop(ended, source);
  }
  if (result.cut) {
    options.logger?.warn(
      { source, asked: result.cut.asked.toISOString(), since: result.since.toISOString() },
      `${list.provider}'s list reaches back only so far: the window was listed from there`,
    );
  }
  options.logger?.info(
    { source, listed: result.listed, missing: result.missing.length, created: result.created.length, dryRun },
    'reconciliation finished',
  );
  return result;
}

function later(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? b : a;
}

/** A record the store refused: another run holds the source (this one stalled past its lease). */
function heldOrStop(written: boolean, source: string): void {
  if (!written) throw new ReconcileClaimLostError(source);
}

async function listPass(options: ReconcileOptions, pass: ReconciliationResume, result: ReconcileResult, claim?: RunClaim): Promise<void> {
  let cursor = pass.cursor;
  for (;;) {
    throwIfStopped(options.signal);
    const page = await withBackoff(options, () => options.list.page(pass.since, cursor, options.signal));
    result.listed += page.items.length;
    let createdHere = 0;
    for (const item of page.items) {
      const created = await createIfMissing(options, item, result);
      if (created) createdHere++;
    }
    cursor = page.nextCursor;
    if (claim) {
      const written = await options.store.recordReconciliationProgress(
        options.source,
        { since: pass.since, cursor },
        createdHere,
        claim.owner,
      );
      heldOrStop(written, options.source);
    }
    if (cursor === null) return;
  }
}

async function createIfMissing(options: ReconcileOptions, item: ListedItem, result: ReconcileResult): Promise<boolean> {
  const { store, source } = options;
  const delivery = item.delivery;
  if (await store.findEventByProviderId(source, delivery.providerEventId)) return false;
  if (item.matchEntity && delivery.entityKey !== null) {
    // Received since the provider's last change: the event stands for the object as it is now.
    const known = await store.listEvents(
      { source, entityKey: delivery.entityKey, ...(item.changedAt ? { since: item.changedAt } : {}) },
      { limit: 1 },
    );
    if (known.items.length > 0) return false;
  }
  result.missing.push({ providerEventId: delivery.providerEventId, type: delivery.type });
  if (options.dryRun) return false;
  // A webhook committed since the look-up makes this insert a duplicate: one event either way.
  const inserted = await store.insertEvent({
    ...delivery,
    source,
    receivedAt: (options.now ?? (() => new Date()))(),
    rawBody: item.rawBody,
    contentType: 'application/json',
    origin: 'reconciliation',
  });
  if (inserted.duplicate) return false;
  result.created.push(inserted.event);
  return true;
}

/** Calls `fn`, waiting and trying again after each retriable failure (429, 5xx, network). */
async function withBackoff<T>(options: ReconcileOptions, fn: () => Promise<T>): Promise<T> {
  const delays = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  // Cut short when `signal` aborts (Node's timer rejects then; the check after the sleep throws).
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms, undefined, { signal: options.signal }).catch(() => undefined));
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // A request cut by the run's signal (shutdown) failed for that reason, not the provider's.
      throwIfStopped(options.signal);
      const delay = delays[attempt];
      if (!(err instanceof ProviderApiError) || !err.retriable || delay === undefined) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfterMs) {
        throw new ProviderApiError(
          err.status,
          `${err.message}; it asks to wait ${Math.ceil(err.retryAfterMs / 1000)} s (Retry-After), more than a run waits ` +
            `(${Math.ceil(maxRetryAfterMs / 1000)} s): stopped here, the next run resumes from this page`,
          { cause: err, retryAfterMs: err.retryAfterMs },
        );
      }
      const wait = Math.max(delay, err.retryAfterMs ?? 0);
      options.logger?.warn({ source: options.source, error: err.message, waitMs: wait }, 'provider API failed; trying again');
      options.onRetry?.({ error: err.message, waitMs: wait });
      await sleep(wait);
      // A worker shutting down does not wait out the backoff: the next run resumes from this page.
      throwIfStopped(options.signal);
    }
  }
}

/** Why the run's signal aborted: a lost claim says so; anything else is a shutdown. */
function throwIfStopped(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof ReconcileClaimLostError ? signal.reason : new ReconcileStoppedError();
}
