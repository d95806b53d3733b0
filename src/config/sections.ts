import { z } from 'zod';
import { strictFields } from '../core/strict-fields.js';
import { errorMessage } from '../core/errors.js';
import { definePipeline, type PipelineDefinition } from '../core/pipeline.js';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from '../core/duration.js';

/**
 * The sections of `webpig.config.ts` other than `sources` and `auth` (whose schemas are in
 * src/core/source-config.ts and src/core/auth-config.ts, since the sources and the server read
 * their types). The documentation of each field is here, once: the public `WebpigConfig` type is
 * derived from these schemas (src/config/types.ts), so an editor shows it on hover.
 */

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

const stageShape = z.looseObject({
  name: z.string().min(1),
  run: fn,
  dependsOn: z.array(z.string()).optional(),
  flag: z.string().optional(),
  column: z.string().optional(),
  timeoutMs: z.number().positive().optional(),
});

const pipelineShape = z.looseObject({
  name: z.string().min(1),
  match: fn,
  stages: z.array(stageShape).min(1),
});

/**
 * A pipeline holds functions, which zod can only see are functions: their types are
 * TypeScript's (`PipelineDefinition`). Its shape is checked, then `definePipeline`'s checks
 * (stage names, dependencies, labels, retries, state machine) run, as issues of this parse.
 * The value itself is kept as written (not a copy), so its functions keep their `this`.
 */
export const pipelineSchema = z
  .custom<PipelineDefinition>((value) => value !== null && typeof value === 'object', {
    error: 'expected a pipeline: definePipeline({ name, match, stages })',
  })
  .superRefine((value, ctx) => {
    const shape = pipelineShape.safeParse(value);
    if (!shape.success) {
      // Not continuable: the checks that compare fields (src/config/schema.ts) read the stages.
      for (const issue of shape.error.issues) ctx.addIssue({ ...issue, input: undefined, continue: false });
      return;
    }
    try {
      definePipeline(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: errorMessage(err) });
    }
  });

/** A column's label: one text, or texts by language (es, en), like a stage's label. */
const columnLabel = z.union([
  z.string().min(1),
  z
    .strictObject({ es: z.string().min(1).optional(), en: z.string().min(1).optional() })
    .refine((texts) => texts.es !== undefined || texts.en !== undefined, 'give a text, or { es: "texto", en: "text" }'),
]);

/** A dashboard column: a grouping of stages with one icon per event. */
export const columnSchema = strictFields({
  key: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, _ and - only'),
  /** One text for every language, or one per language: `{ es: 'Pedido', en: 'Order' }`. */
  label: columnLabel,
});

/** A text people read: one for every language, or one per language (es, en) — the page shows its language's. */
const textByLanguage = z.union([
  z.string(),
  z
    .strictObject({ es: z.string().min(1).optional(), en: z.string().min(1).optional() })
    .refine((texts) => texts.es !== undefined || texts.en !== undefined, 'give a text, or { es: "texto", en: "text" }'),
]);

export const flagSchema = strictFields({
  key: z.string().regex(/^[A-Z0-9_]+$/, 'UPPER_SNAKE_CASE'),
  /**
   * What the flag turns on, as people read it: one text, or one per language
   * (`{ es: 'Emitir la factura a la DIAN', en: 'Send the invoice to the DIAN' }`); the dashboard
   * shows its page's language. The flags table and the CLI keep the Spanish one (else the English).
   */
  description: textByLanguage,
  /** Value the flag gets when it is first created. (Default: true) */
  default: z.boolean().optional(),
  /**
   * Who may change it: role names (see auth.roles) and/or e-mail addresses. The server
   * enforces this for every change. (Default: only the `admin` role)
   */
  allowed: z.array(z.string().min(1)).optional(),
});

/**
 * How long the HTTP server waits for slow or silent clients, and how many connections one
 * address may hold. Without these a client that sends headers and half a body, then stops,
 * holds a socket and a file descriptor for ever: 600 such uploads once used up a 512 file
 * limit and every valid delivery was refused.
 */
export const serverLimitsShape = {
  /** The whole request, headers and body, must arrive within this; else the socket is closed. (Default: 30_000 ms) */
  requestTimeoutMs: z.number().int().positive().optional(),
  /** The request headers must arrive within this. At most requestTimeoutMs. (Default: 10_000 ms) */
  headersTimeoutMs: z.number().int().positive().optional(),
  /** A socket with no traffic either way for this long is closed. (Default: 120_000 ms) */
  idleTimeoutMs: z.number().int().positive().optional(),
  /** An idle keep-alive connection is closed after this; longer than a load balancer's usual 60 s. (Default: 72_000 ms) */
  keepAliveTimeoutMs: z.number().int().positive().optional(),
  /** Open connections one client address may hold; more are closed at once; 0 turns it off. (Default: 256) */
  maxConnectionsPerAddress: z.number().int().min(0).optional(),
  /**
   * Addresses the per-address limit does not apply to: a reverse proxy carries everyone's
   * traffic on its own address. (Default: the loopback addresses 127.0.0.1 and ::1, where a
   * proxy on the same machine, and a local test, connect from)
   */
  connectionLimitExempt: z.array(z.union([z.ipv4(), z.ipv6()], { error: 'expected an IP address' })).optional(),
};

export const serverSchema = strictFields({
  /** (Default: 3000) */
  port: z.number().int().min(0).max(65535).optional(),
  /** (Default: 127.0.0.1) */
  host: z.string().min(1).optional(),
  /** Largest webhook body accepted, in bytes. (Default: 1 MiB) */
  bodyLimitBytes: z.number().int().positive().optional(),
  /** The URL people use to reach the server (OIDC redirects, links in alerts). */
  publicUrl: z.url().optional(),
  /** Believe X-Forwarded-For (set when a reverse proxy is in front). (Default: false) */
  trustProxy: z.boolean().optional(),
  /**
   * Bearer token `/metrics` asks for (`Authorization: Bearer <token>`); the CLI also reads
   * WEBPIG_METRICS_TOKEN. (Default: none — then /metrics answers only loopback clients that
   * did not come through a proxy)
   */
  metricsToken: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 24`)').optional(),
  /**
   * Load shedding: while this many events wait in the queue, new deliveries are answered 503
   * with `Retry-After: 60` instead of being stored, so the provider delivers them again later
   * and nothing is lost — the backlog stops growing. Only for providers that retry for long
   * (Stripe: days; MercadoPago: hours; ePayco retries only briefly). (Default: no limit)
   */
  maxQueuedEvents: z.number().int().min(1).optional(),
  ...serverLimitsShape,
}).refine((server) => (server.headersTimeoutMs ?? 10_000) <= (server.requestTimeoutMs ?? 30_000), {
  path: ['headersTimeoutMs'],
  message: 'must not be larger than requestTimeoutMs (headers are part of the request)',
});

export const workerSchema = strictFields({
  /** Events processed at once by one worker process. (Default: 4) */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** (Default: 30_000 ms) */
  leaseMs: z.number().int().min(1000).optional(),
  /**
   * Where a separate `webpig worker` serves its own /metrics (same access rule as the
   * server's). Under `webpig start` the worker's figures are on the server's /metrics.
   * (Default: not served)
   */
  metricsPort: z.number().int().min(0).max(65535).optional(),
  /** (Default: 127.0.0.1) */
  metricsHost: z.string().min(1).optional(),
});

export const alertsSchema = strictFields({
  /**
   * Every alert (dead, retried, stuck, stage error rate, backlog, oversold, custom) is POSTed
   * here as JSON by the worker processes: once when it opens and once when it resolves; a muted
   * alert waits until its mute ends. Keep a token-bearing URL in an environment variable.
   * (Default: not forwarded; they are still shown on the dashboard and in /api/alerts)
   */
  webhookUrl: httpUrl.optional(),
  /** HMAC-SHA256 key for the `webpig-signature: t=…,v1=…` header. (Default: unsigned) */
  webhookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Error rate of a stage, over the last hour, that raises an alert. (Default: 0.2) */
  stageErrorRate: z.number().min(0).max(1).optional(),
  /** The oldest queued event waiting longer than this raises a `backlog` alert: the workers are behind. (Default: 300 s) */
  backlogAgeSeconds: z.number().int().min(1).optional(),
  /** How often each worker checks the stuck, retried, error-rate and backlog conditions. (Default: 15 s) */
  checkEverySeconds: z.number().int().min(1).max(3600).optional(),
});

/**
 * How long finished data is kept. Every kind is kept forever unless its number is set: a
 * payment record is deleted only when someone chose to. Applied by every worker, in small
 * batches, and by `webpig purge`. Dead, retrying, queued and processing events and the audit
 * log are never deleted.
 */
export const retentionSchema = strictFields({
  /** Succeeded events whose last change is older than this many days, with their checkpoints, attempts and logs. (Default: kept) */
  succeededAfterDays: z.number().int().min(1).optional(),
  /** Ignored events (no pipeline, stale or invalid transition) older than this many days. (Default: kept) */
  ignoredAfterDays: z.number().int().min(1).optional(),
  /** Rejected deliveries (bad signature, malformed) older than this many days. (Default: kept, the newest 1,000) */
  rejectedDeliveriesAfterDays: z.number().int().min(1).optional(),
  /** Rows deleted per transaction. (Default: 500) */
  batchSize: z.number().int().min(1).max(10_000).optional(),
  /** How often each worker applies it. (Default: 60 minutes) */
  intervalMinutes: z.number().min(1).optional(),
});

const duration = z
  .string()
  .refine((text) => DURATION_PATTERN.test(text) && parseDuration(text) !== null, `must be ${DURATION_HINT} (more than zero)`);

/** Reconciliation of one source (`reconcile.<source>` in the config, docs/reconcile.md). */
export const reconcileSettingsSchema = strictFields({
  /** How often a worker reconciles it, e.g. '15m'. (Default: '15m') */
  every: duration.optional(),
  /** How far back each run lists, e.g. '48h'. (Default: '48h') */
  lookBack: duration.optional(),
  /** The provider's API. (Default: https://api.stripe.com, https://api.mercadopago.com, https://secure.epayco.co) */
  apiBaseUrl: httpUrl.optional(),
  /**
   * The API credential. (Default: $WEBPIG_STRIPE_API_KEY for Stripe, $WEBPIG_MERCADOPAGO_ACCESS_TOKEN
   * for MercadoPago; ePayco's look-up needs none.) Never logged.
   */
  apiKey: z.string().min(1, 'may not be empty').optional(),
  /** Stripe: the event types to list (at most 20, `*` wildcards). (Default: every type) */
  types: z.array(z.string().min(1)).max(20, 'Stripe lists at most 20 types at once').optional(),
  /** ePayco (no list endpoint): the references to look up, e.g. today's invoices' `x_ref_payco`. */
  references: z.custom<() => Promise<string[]> | string[]>((v) => typeof v === 'function', 'expected a function').optional(),
});

/** Whether the page can format dates in this zone (a typo would break it in every browser). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('es-CO', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The page formats every date and amount with these: a typo is refused at start, naming the field. */
export const dashboardSchema = strictFields({
  /** (Default: from the browser, Spanish when unsure) */
  locale: z.enum(['es', 'en']).optional(),
  /** (Default: America/Bogota) */
  timeZone: z
    .string()
    .refine(isTimeZone, { error: (issue) => `"${String(issue.input)}" is not an IANA time zone (e.g. America/Bogota)` })
    .optional(),
  /** (Default: COP) */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, { error: (issue) => `"${String(issue.input)}" is not an ISO 4217 code (e.g. COP)` })
    .optional(),
});
