import { Gauge, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import { EVENT_STATUSES } from '../core/types.js';
import type { QueueStats, Store } from '../store/store.js';

/** Both gauges are filled from one query; scrapes closer together than this share it. */
const SHARE_MS = 1_000;

/**
 * Gauges read from the database when scraped (`store.queueStats()`, two cheap queries), so
 * every server shows the same figures whichever process did the work. If the database does
 * not answer, the gauges are left out of that scrape rather than repeat stale values.
 */
export function registerQueueGauges(registry: Registry, store: Store, now: () => Date, log: FastifyBaseLogger): void {
  if (registry.getSingleMetric('webpig_events')) return;
  let last: { at: number; stats: Promise<QueueStats> } | null = null;
  const stats = (): Promise<QueueStats> => {
    const at = Date.now();
    if (!last || at - last.at >= SHARE_MS) last = { at, stats: store.queueStats() };
    return last.stats;
  };
  const read = async (): Promise<QueueStats | null> => {
    try {
      return await stats();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'queue figures for /metrics could not be read');
      return null;
    }
  };
  new Gauge({
    name: 'webpig_events',
    help: 'Events in the database, by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const figures = await read();
      if (figures) for (const status of EVENT_STATUSES) this.set({ status }, figures.byStatus[status]);
    },
  });
  new Gauge({
    name: 'webpig_oldest_queued_event_age_seconds',
    help: 'How long the longest-waiting queued event has waited (0 when none is queued).',
    registers: [registry],
    async collect() {
      this.reset();
      const figures = await read();
      if (!figures) return;
      const since = figures.oldestQueuedAt;
      this.set(since ? Math.max(0, (now().getTime() - since.getTime()) / 1000) : 0);
    },
  });
}
