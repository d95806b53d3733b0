import { Counter, Histogram, Registry } from 'prom-client';

/**
 * The worker's own figures, counted where the work happens. They live in the worker's
 * process: `webpig start` serves them on the server's /metrics, a separate `webpig worker` on
 * its own metrics port (see docs/operations.md). Labels only carry names from the config
 * (pipeline, stage) and sanitised error codes, never payload values or secrets.
 */
export interface WorkerMetrics {
  readonly registry: Registry;
  /** A stage attempt finished (success or error): its duration, by pipeline and stage. */
  observeStage(observation: StageObservation): void;
  /** The event went dead. */
  eventDead(pipeline: string | null): void;
  /** An alert reached the configured webhook, or the try failed (it will be tried again). */
  alertForwarded(outcome: 'forwarded' | 'failed'): void;
}

export interface StageObservation {
  pipeline: string;
  stage: string;
  status: 'success' | 'error';
  durationMs: number;
  /** The failure's code (null: none, or a success). */
  errorCode: string | null;
}

/** Error codes are ours or a stage's (`HTTP_503`, `ECONNRESET`); anything else is one bucket. */
const LABEL_SAFE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function metricLabel(value: string | null | undefined, fallback: string): string {
  return value && LABEL_SAFE.test(value) ? value : fallback;
}

function registered<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Registers the worker's metrics in `registry` (once: a second call reuses them). */
export function createWorkerMetrics(registry: Registry = new Registry()): WorkerMetrics {
  const durations = registered(
    registry,
    'webpig_stage_duration_seconds',
    () =>
      new Histogram({
        name: 'webpig_stage_duration_seconds',
        help: 'Duration of stage attempts, by pipeline, stage and outcome (success or error).',
        labelNames: ['pipeline', 'stage', 'outcome'],
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      }),
  );
  const failures = registered(
    registry,
    'webpig_stage_failures_total',
    () =>
      new Counter({
        name: 'webpig_stage_failures_total',
        help: 'Failed stage attempts, by pipeline, stage and error code.',
        labelNames: ['pipeline', 'stage', 'code'],
        registers: [registry],
      }),
  );
  const dead = registered(
    registry,
    'webpig_events_dead_total',
    () =>
      new Counter({
        name: 'webpig_events_dead_total',
        help: 'Events that went dead (no retries left or a permanent failure), by pipeline.',
        labelNames: ['pipeline'],
        registers: [registry],
      }),
  );
  const alerts = registered(
    registry,
    'webpig_alerts_forwarded_total',
    () =>
      new Counter({
        name: 'webpig_alerts_forwarded_total',
        help: 'Alerts sent to the configured webhook, by outcome (forwarded or failed).',
        labelNames: ['outcome'],
        registers: [registry],
      }),
  );
  const stageLabels = new StageLabels();
  return {
    registry,
    observeStage(o) {
      const labels = stageLabels.of(o.pipeline, o.stage);
      durations.observe(o.status === 'success' ? labels.success : labels.error, o.durationMs / 1000);
      if (o.status === 'error') failures.inc({ pipeline: o.pipeline, stage: o.stage, code: metricLabel(o.errorCode, 'UNKNOWN') });
    },
    eventDead(pipeline) {
      dead.inc({ pipeline: pipeline ?? '_none' });
    },
    alertForwarded(outcome) {
      alerts.inc({ outcome });
    },
  };
}

type OutcomeLabels = Readonly<{ pipeline: string; stage: string; outcome: 'success' | 'error' }>;

/**
 * The duration's label objects of each pipeline's stage, made once: observeStage runs once a
 * stage attempt, and copying two label objects each time was most of its own cost (prom-client
 * keeps the first one it sees for a series; none of them is changed after).
 */
class StageLabels {
  private readonly byPipeline = new Map<string, Map<string, { success: OutcomeLabels; error: OutcomeLabels }>>();

  of(pipeline: string, stage: string): { success: OutcomeLabels; error: OutcomeLabels } {
    let stages = this.byPipeline.get(pipeline);
    if (stages === undefined) {
      stages = new Map();
      this.byPipeline.set(pipeline, stages);
    }
    let labels = stages.get(stage);
    if (labels === undefined) {
      labels = {
        success: Object.freeze({ pipeline, stage, outcome: 'success' as const }),
        error: Object.freeze({ pipeline, stage, outcome: 'error' as const }),
      };
      stages.set(stage, labels);
    }
    return labels;
  }
}
