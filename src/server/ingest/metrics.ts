import { Counter, Histogram, Registry } from 'prom-client';

/** Ingestion metrics. Registered once per registry: several plugins may share one. */
export interface IngestMetrics {
  readonly registry: Registry;
  /** Deliveries stored (`outcome`: accepted | duplicate), by source. */
  readonly deliveries: Counter<'source' | 'outcome'>;
  /** Deliveries refused, by source and reason (the error code: SIGNATURE_INVALID, BODY_TOO_LARGE…). */
  readonly rejections: Counter<'source' | 'reason'>;
  /** Deliveries that could not be committed (answered 503), by source. */
  readonly commitFailures: Counter<'source'>;
  /** Deliveries refused with 503 because the queue was at `server.maxQueuedEvents`, by source. */
  readonly shed: Counter<'source'>;
  /** Deliveries per group-commit transaction. */
  readonly batchSize: Histogram;
}

export function createIngestMetrics(registry: Registry = new Registry()): IngestMetrics {
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  return {
    registry,
    deliveries:
      existing<Counter<'source' | 'outcome'>>('webpig_webhook_deliveries_total') ??
      new Counter({
        name: 'webpig_webhook_deliveries_total',
        help: 'Authentic webhook deliveries stored, by source and outcome (accepted or duplicate).',
        labelNames: ['source', 'outcome'],
        registers: [registry],
      }),
    rejections:
      existing<Counter<'source' | 'reason'>>('webpig_webhook_rejections_total') ??
      new Counter({
        name: 'webpig_webhook_rejections_total',
        help: 'Webhook deliveries refused, by source and reason code.',
        labelNames: ['source', 'reason'],
        registers: [registry],
      }),
    commitFailures:
      existing<Counter<'source'>>('webpig_webhook_commit_failures_total') ??
      new Counter({
        name: 'webpig_webhook_commit_failures_total',
        help: 'Webhook deliveries that could not be committed and were answered 503.',
        labelNames: ['source'],
        registers: [registry],
      }),
    shed:
      existing<Counter<'source'>>('webpig_webhook_shed_total') ??
      new Counter({
        name: 'webpig_webhook_shed_total',
        help: 'Webhook deliveries answered 503 + Retry-After, unstored, because the queue was full (server.maxQueuedEvents).',
        labelNames: ['source'],
        registers: [registry],
      }),
    batchSize:
      existing<Histogram>('webpig_webhook_commit_batch_size') ??
      new Histogram({
        name: 'webpig_webhook_commit_batch_size',
        help: 'Deliveries committed per group-commit transaction.',
        buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
        registers: [registry],
      }),
  };
}
