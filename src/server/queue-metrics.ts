import { Gauge, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { QueueStats } from '../store/store.js';
import type { OperatorStore } from '../store/store-roles.js';

/** Both gauges are filled from one store call; scrapes closer together than this share it. */
const SHARE_MS = 1_000;
/**
 * Succeeded and ignored events are the whole history: counting them reads an index of every
 * event (30 ms on SQLite, 100 ms on PostgreSQL per 200,000), so it is refreshed at most this often.
 */
const HISTORY_REFRESH_MS = 60_000;

/** Memoises `load` for `ms`; a failure is not kept. */
function shared<T>(ms: number, load: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    const at = Date.now();
    if (!last || at - last.at >= ms) {
      const value = load();
      last = { at, value };
      value.catch(() => {
        if (last?.value === value) last = null;
      });
    }
    return last.value;
  };
}

/**
 * Gauges read from the database when scraped, so every server shows the same figures whichever
 * process did the work. If the database does not answer, the series are left out of that
 * scrape rather than repeat stale values (and /readyz says why).
 */
export function registerQueueGauges(registry: Registry, store: OperatorStore, now: () => Date, log: FastifyBaseLogger): void {
  if (registry.getSingleMetric('webpig_events')) return;
  const active = shared(SHARE_MS, () => store.queueStats());
  const history = shared(HISTORY_REFRESH_MS, async () => ({
    succeeded: await store.countEvents({ status: 'succeeded' }),
    ignored: await store.countEvents({ status: 'ignored' }),
  }));
  const read = async <T>(load: () => Promise<T>): Promise<T | null> => {
    try {
      return await load();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'queue figures for /metrics could not be read');
      return null;
    }
  };
  new Gauge({
    name: 'webpig_events',
    help: 'Events in the database, by status (succeeded and ignored refreshed at most once a minute).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const [figures, done] = await Promise.all([read<QueueStats>(active), read(history)]);
      for (const [status, count] of Object.entries({ ...figures?.byStatus, ...done })) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'webpig_oldest_queued_event_age_seconds',
    help: 'How long the longest-waiting queued event has waited, in seconds (0 when none is queued).',
    registers: [registry],
    async collect() {
      this.reset();
      const figures = await read<QueueStats>(active);
      if (!figures) return;
      const since = figures.oldestQueuedAt;
      this.set(since ? Math.max(0, (now().getTime() - since.getTime()) / 1000) : 0);
    },
  });
}
