/**
 * The alerts no single write raises: an event stuck in processing, an event retried more than
 * once, a stage whose error rate crosses the threshold, a backlog. A periodic check (in every
 * worker, and on each load of the alerts page) stores each as an issue — so it can be
 * acknowledged, muted and forwarded — and resolves it when the condition is gone. Every check
 * is idempotent: issues are keyed by kind and subject, and seeing a condition again refreshes
 * its issue (last seen, text) without counting a new occurrence. A dead event's alert (raised
 * by the run that killed it) is resolved here too once someone marks the event as handled.
 * Given the worker's reconcile schedule, it also says when a source's reconciliation is overdue
 * (reconcile-overdue.ts).
 */
import type { Logger } from 'pino';
import type { AlertKind, EventRecord } from '../core/types.js';
import type { AttemptSample, NewAlert } from '../store/store.js';
import type { JobStore } from '../store/store-roles.js';
import { overdueAlerts, resolveOverdueNoLonger, type ReconcileWatch } from './reconcile-overdue.js';

export interface AlertConditionOptions {
  store: JobStore;
  /** A stage failing more than this share of its finished attempts in the last hour. (Default: 0.2) */
  stageErrorRate?: number;
  /** The oldest queued event waiting longer than this is a backlog. (Default: 300) */
  backlogAgeSeconds?: number;
  /** The sources the worker reconciles on a schedule: each one overdue is an issue. (Default: not checked) */
  reconcile?: ReconcileWatch;
}

export const DEFAULT_STAGE_ERROR_RATE = 0.2;
export const DEFAULT_BACKLOG_AGE_SECONDS = 300;
const ERROR_RATE_WINDOW_MS = 60 * 60 * 1000;
/** Fewer finished attempts than this in the window is too little to call a rate. */
const ERROR_RATE_MIN_SAMPLES = 5;
const CHECKED_KINDS: readonly AlertKind[] = ['stuck', 'retried', 'stage_error_rate', 'backlog'];
const UNFINISHED = new Set(['queued', 'processing', 'retrying']);

/** Stores the conditions true at `now` and resolves the stored ones no longer true. */
export async function checkAlertConditions(options: AlertConditionOptions, now: Date): Promise<{ open: number; resolved: number }> {
  const { store } = options;
  const present = [
    ...(await stuckAlerts(store, now)),
    ...(await retriedAlerts(store, now)),
    ...(await errorRateAlerts(store, now, options.stageErrorRate ?? DEFAULT_STAGE_ERROR_RATE)),
    ...(await backlogAlerts(store, now, options.backlogAgeSeconds ?? DEFAULT_BACKLOG_AGE_SECONDS)),
  ];
  const overdue = options.reconcile ? await overdueAlerts(store, options.reconcile, now) : [];
  present.push(...overdue);
  const keys = new Set<string>();
  for (const alert of present) {
    const stored = await store.recordAlert({ ...alert, repeat: 'refresh' });
    keys.add(`${stored.kind} ${stored.subject}`);
  }
  let resolved = 0;
  for (const open of await store.listOpenAlerts(CHECKED_KINDS)) {
    if (keys.has(`${open.kind} ${open.subject}`)) continue;
    // An event's condition is checked on the event itself: the lists above are bounded.
    if (open.eventId !== null && (await stillHolds(store, open.kind, open.eventId, now))) continue;
    if (await store.resolveAlert(open.id, now)) resolved += 1;
  }
  // A dead event someone marked as handled by hand (refunded, invoiced manually) needs no one
  // else's attention: its alert is resolved. A later failure raises a new one.
  for (const open of await store.listOpenAlerts(['dead'])) {
    if (open.eventId === null) continue;
    if ((await store.getEvent(open.eventId))?.handled && (await store.resolveAlert(open.id, now))) resolved += 1;
  }
  if (options.reconcile) {
    // Read again after recording: a run that finished meanwhile resolved its issue before this
    // check opened a new one, which is resolved here rather than left open until the next round.
    const still = await overdueAlerts(store, options.reconcile, now);
    resolved += await resolveOverdueNoLonger(store, new Set(still.map((alert) => String(alert.details?.source))), now);
  }
  return { open: present.length, resolved };
}

export interface AlertConditionChecks {
  stop(): Promise<void>;
}

/** Checks every `everyMs` (Default: 15 s) until stopped; a failed round is logged and retried. */
export function startAlertConditionChecks(
  options: AlertConditionOptions & { everyMs?: number; logger: Logger; now?: () => Date },
): AlertConditionChecks {
  const everyMs = options.everyMs ?? 15_000;
  const now = options.now ?? (() => new Date());
  // A source of which no run ever started counts as scheduled since this process began checking.
  const checked = options.reconcile ? { ...options, reconcile: { watchedSince: now(), ...options.reconcile } } : options;
  let stopped = false;
  let round: Promise<unknown> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = (): void => {
    round = checkAlertConditions(checked, now())
      .catch((err: unknown) => options.logger.error({ err }, 'alert condition check failed'))
      .finally(() => {
        round = null;
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await round;
    },
  };
}

function isStuck(event: EventRecord, now: Date): boolean {
  return event.status === 'processing' && event.leaseExpiresAt !== null && event.leaseExpiresAt < now;
}

function isRetriedAndUnfinished(event: EventRecord): boolean {
  return UNFINISHED.has(event.status) && (event.attempts > 2 || event.manualRetries > 1);
}

async function stillHolds(store: JobStore, kind: AlertKind, eventId: number, now: Date): Promise<boolean> {
  const event = await store.getEvent(eventId);
  if (!event) return false;
  if (kind === 'stuck') return isStuck(event, now);
  if (kind === 'retried') return isRetriedAndUnfinished(event);
  return false;
}

async function stuckAlerts(store: JobStore, now: Date): Promise<NewAlert[]> {
  const processing = await store.listEvents({ status: 'processing' }, { limit: 500 });
  return processing.items
    .filter((event) => isStuck(event, now))
    .map((event) => ({
      at: now,
      kind: 'stuck' as const,
      eventId: event.id,
      message: `event ${event.id} is stuck in processing: its lease expired at ${event.leaseExpiresAt?.toISOString() ?? '?'}`,
      details: { leaseOwner: event.leaseOwner, leaseExpiresAt: event.leaseExpiresAt?.toISOString() ?? null },
    }));
}

async function retriedAlerts(store: JobStore, now: Date): Promise<NewAlert[]> {
  const retried = await store.listEvents({ minAttempts: 2, status: ['queued', 'processing', 'retrying'] }, { limit: 200 });
  return retried.items.filter(isRetriedAndUnfinished).map((event) => ({
    at: now,
    kind: 'retried' as const,
    eventId: event.id,
    message: `event ${event.id} was retried ${Math.max(event.attempts - 1, event.manualRetries)} times`,
    details: { attempts: event.attempts, manualRetries: event.manualRetries, status: event.status },
  }));
}

async function errorRateAlerts(store: JobStore, now: Date, threshold: number): Promise<NewAlert[]> {
  const samples = await store.attemptSamples(new Date(now.getTime() - ERROR_RATE_WINDOW_MS), 10_000);
  return finishedByStage(samples).flatMap(({ stage, errors, finished }) =>
    finished < ERROR_RATE_MIN_SAMPLES || errors / finished <= threshold
      ? []
      : [
          {
            at: now,
            kind: 'stage_error_rate' as const,
            stage,
            message: `stage ${stage} failed ${errors} of ${finished} attempts in the last hour`,
            details: { errorRate: errors / finished, threshold, errors, finished },
          },
        ],
  );
}

function finishedByStage(samples: AttemptSample[]): { stage: string; errors: number; finished: number }[] {
  const byStage = new Map<string, { errors: number; finished: number }>();
  for (const sample of samples) {
    if (sample.status !== 'success' && sample.status !== 'error') continue;
    const stat = byStage.get(sample.stage) ?? { errors: 0, finished: 0 };
    stat.finished += 1;
    if (sample.status === 'error') stat.errors += 1;
    byStage.set(sample.stage, stat);
  }
  return [...byStage.entries()].map(([stage, stat]) => ({ stage, ...stat }));
}

/** The workers are behind: the oldest runnable event has waited longer than the threshold. */
async function backlogAlerts(store: JobStore, now: Date, thresholdSeconds: number): Promise<NewAlert[]> {
  const stats = await store.queueStats();
  if (!stats.oldestQueuedAt) return [];
  const waitedSeconds = Math.floor((now.getTime() - stats.oldestQueuedAt.getTime()) / 1000);
  if (waitedSeconds <= thresholdSeconds) return [];
  const queued = stats.byStatus.queued;
  return [
    {
      at: now,
      kind: 'backlog',
      subject: 'queue',
      message: `the oldest queued event has waited ${Math.round(waitedSeconds / 60)} min (${queued} queued): the workers are behind — add workers or concurrency, or look for a slow stage`,
      details: { queued, oldestQueuedAt: stats.oldestQueuedAt.toISOString(), waitedSeconds, thresholdSeconds },
    },
  ];
}
