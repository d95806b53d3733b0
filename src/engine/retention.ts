/**
 * Retention: deletes finished data older than the config's `retention` allows, in batches of
 * `batchSize` rows, each its own short transaction, so ingestion and workers are never held up
 * behind one long delete. Used by every worker (periodically) and by `webpig purge`.
 *
 * What can be deleted is fixed by the store's `PurgeKind`: succeeded and ignored events (with
 * their checkpoints, attempts and logs) and rejected deliveries. Dead, retrying, queued and
 * processing events and the audit log are never deleted, whatever the config says.
 */
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/types.js';
import type { PurgeKind } from '../store/store.js';
import type { JobStore } from '../store/store-roles.js';

export type RetentionPolicy = NonNullable<ResolvedConfig['retention']>;

/** Rows of each kind, for the kinds the policy names (a kind it does not name is kept). */
export type RetentionCounts = Partial<Record<PurgeKind, number>>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** (Default batch size: 500 rows per transaction) */
export const DEFAULT_BATCH_SIZE = 500;
/** (Default: every 60 minutes) */
export const DEFAULT_INTERVAL_MINUTES = 60;

const DAYS_FIELD: Record<PurgeKind, keyof RetentionPolicy> = {
  succeededEvents: 'succeededAfterDays',
  ignoredEvents: 'ignoredAfterDays',
  rejectedDeliveries: 'rejectedDeliveriesAfterDays',
};

/** For each kind the policy names: rows last changed before this are due. */
export function retentionCutoffs(policy: RetentionPolicy | undefined, now: Date): Partial<Record<PurgeKind, Date>> {
  const cutoffs: Partial<Record<PurgeKind, Date>> = {};
  for (const [kind, field] of Object.entries(DAYS_FIELD) as Array<[PurgeKind, keyof RetentionPolicy]>) {
    const days = policy?.[field];
    if (days !== undefined) cutoffs[kind] = new Date(now.getTime() - days * DAY_MS);
  }
  return cutoffs;
}

/** True when the policy names at least one kind: otherwise nothing is ever deleted. */
export function retentionEnabled(policy: RetentionPolicy | undefined): boolean {
  return Object.keys(retentionCutoffs(policy, new Date(0))).length > 0;
}

/** How many rows of each kind are due now (what `webpig purge --dry-run` prints). */
export async function countDue(store: JobStore, policy: RetentionPolicy | undefined, now: Date): Promise<RetentionCounts> {
  const counts: RetentionCounts = {};
  for (const [kind, before] of Object.entries(retentionCutoffs(policy, now)) as Array<[PurgeKind, Date]>) {
    counts[kind] = await store.countPurgeable(kind, before);
  }
  return counts;
}

export interface ApplyOptions {
  /** Waits between two batches, so other writers get the database. (Default: 0) */
  pauseMs?: number;
  /** Stops after the batch in flight. */
  signal?: AbortSignal;
}

/** Deletes everything due now, batch after batch. Returns how many rows of each kind went. */
export async function applyRetention(
  store: JobStore,
  policy: RetentionPolicy | undefined,
  now: Date,
  options: ApplyOptions = {},
): Promise<RetentionCounts> {
  const size = policy?.batchSize ?? DEFAULT_BATCH_SIZE;
  const deleted: RetentionCounts = {};
  for (const [kind, before] of Object.entries(retentionCutoffs(policy, now)) as Array<[PurgeKind, Date]>) {
    deleted[kind] = 0;
    for (;;) {
      if (options.signal?.aborted) return deleted;
      const n = await store.purgeBatch(kind, before, size);
      deleted[kind] = (deleted[kind] ?? 0) + n;
      if (n < size) break;
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }
  return deleted;
}

export interface RetentionJob {
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
}

export interface RetentionJobOptions {
  store: JobStore;
  policy: RetentionPolicy;
  logger: Logger;
  /** (Default: policy.intervalMinutes, else 60 minutes) */
  intervalMs?: number;
  /** (Default: () => new Date()) */
  now?: () => Date;
}

/**
 * Applies the policy once shortly after start, then every interval, until stopped. A failed
 * round is logged and tried again at the next one: retention is never worth a crash.
 */
export function startRetentionJob(options: RetentionJobOptions): RetentionJob {
  const { store, policy, logger } = options;
  const intervalMs = options.intervalMs ?? (policy.intervalMinutes ?? DEFAULT_INTERVAL_MINUTES) * 60_000;
  const now = options.now ?? (() => new Date());
  const controller = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const round = () => {
    if (busy || controller.signal.aborted) return; // a long round is not joined by the next one
    busy = true;
    running = (async () => {
      try {
        const deleted = await applyRetention(store, policy, now(), { pauseMs: 50, signal: controller.signal });
        if (Object.values(deleted).some((n) => n > 0)) logger.info({ deleted }, 'retention: deleted old rows');
      } catch (err) {
        if (!controller.signal.aborted) logger.warn({ err }, 'retention: round failed; trying again at the next one');
      } finally {
        busy = false;
      }
    })();
  };
  // A few seconds after start, not at once: a restart loop must not turn into a delete loop.
  const first = setTimeout(round, Math.min(5_000, intervalMs));
  const timer = setInterval(round, intervalMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      controller.abort();
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
