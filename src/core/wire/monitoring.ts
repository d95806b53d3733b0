import { z } from 'zod';
import { jsonObject, page } from './common.js';

/** Alerts, the audit log, rejected deliveries, metrics and reconciliation. */

export const alertView = z.object({
  id: z.number().int(),
  /** The first time it happened; `lastSeenAt` the latest. */
  at: z.date(),
  kind: z.enum(['retried', 'dead', 'stuck', 'stage_error_rate', 'backlog', 'oversold', 'custom']),
  /** What it is about (`event:79`, `stage:dian`, `sku:MUG`, `queue`); one open alert per kind and subject. */
  subject: z.string(),
  occurrences: z.number().int(),
  lastSeenAt: z.date(),
  eventId: z.number().int().nullable(),
  stage: z.string().nullable(),
  message: z.string(),
  details: jsonObject.nullable(),
  resolvedAt: z.date().nullable(),
  acknowledgedAt: z.date().nullable(),
  acknowledgedBy: z.string().nullable(),
  ackReason: z.string().nullable(),
  mutedAt: z.date().nullable(),
  mutedUntil: z.date().nullable(),
  mutedBy: z.string().nullable(),
  muteReason: z.string().nullable(),
  /** Always false: every alert is stored now (kept for older pages). */
  computed: z.boolean(),
  /**
   * The payment of the event it is about, from the event's summary (customer's name, amount,
   * references), so a page can name it; null: about no event, or its summary says none.
   */
  payment: z
    .object({
      customer: z.string().optional(),
      amount: z.number().optional(),
      currency: z.string().optional(),
      references: z.record(z.string(), z.string()).optional(),
    })
    .nullable(),
});
export const alertsPage = page(alertView);
export const alertReply = z.object({ alert: alertView });

export const auditEntry = z.object({
  id: z.number().int(),
  at: z.date(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: jsonObject.nullable(),
  remoteAddress: z.string().nullable(),
});
export const auditPage = page(auditEntry);

export const rejectedDelivery = z.object({
  id: z.number().int(),
  at: z.date(),
  source: z.string(),
  httpStatus: z.number().int(),
  reason: z.string(),
  remoteAddress: z.string().nullable(),
  /** The start of the body, for telling a misconfigured sender from an attack. */
  firstBytes: z.string(),
  /** Why, as a code (SIGNATURE_INVALID, BODY_TOO_LARGE, VALIDATION_MISMATCH…): the start of `reason`. */
  code: z.string(),
});
/**
 * `nextBefore`: the `before` of the next (older) page; null on the last. `refused`: how many were
 * refused today and this week (the dashboard's time zone), counted over the whole log, not the page.
 */
export const rejections = z.object({
  items: z.array(rejectedDelivery),
  nextBefore: z.number().int().nullable(),
  refused: z.object({ today: z.number().int(), week: z.number().int() }),
});

export const stageStat = z.object({
  stage: z.string(),
  total: z.number().int(),
  success: z.number().int(),
  error: z.number().int(),
  successRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});

/** An hour's (or a day's) outcomes: received = succeeded + ignored + failed + inFlight. */
export const throughputBucket = z.object({
  at: z.date(),
  received: z.number().int(),
  succeeded: z.number().int(),
  ignored: z.number().int(),
  failed: z.number().int(),
  inFlight: z.number().int(),
});

export const stageDurationSeries = z.object({
  stage: z.string(),
  points: z.array(z.object({ at: z.date(), attempts: z.number().int(), p50Ms: z.number().nullable(), p95Ms: z.number().nullable() })),
});

export const metrics = z.object({
  since: z.date(),
  stages: z.array(stageStat),
  throughput: z.array(throughputBucket),
  stageDurations: z.array(stageDurationSeries),
});

export const reconciliationView = z.object({
  source: z.string(),
  lastStartedAt: z.date().nullable(),
  lastFinishedAt: z.date().nullable(),
  lastListed: z.number().int(),
  lastRecovered: z.number().int(),
  totalRecovered: z.number().int(),
  /** A run stopped midway (an error, a shutdown, a killed process) and none is in progress: the next one resumes it. */
  interrupted: z.boolean(),
  lastError: z.string().nullable(),
  /**
   * What finished runs compared with the provider: 'dates', the provider's time from
   * `coveredFrom` to `coveredUntil` (one contiguous interval of their windows); 'references',
   * only the references it was given (ePayco: no window of dates); null, no run has finished
   * since webpig records it.
   */
  coveredBy: z.enum(['dates', 'references']).nullable(),
  coveredFrom: z.date().nullable(),
  coveredUntil: z.date().nullable(),
  /**
   * A run holds the source now (its claim is live): since when; null when none does. Its counts
   * above are the last finished run's until it ends. `runningOn`: the machine it runs on, when
   * the run could tell (null otherwise).
   */
  runningSince: z.date().nullable(),
  runningOn: z.string().nullable(),
});
export const reconciliation = z.object({ items: z.array(reconciliationView) });
