import type { AuthConfig } from './auth-config.js';
import type { SourceConfig } from './source-config.js';
import type { PipelineDefinition, StageLabel } from './pipeline.js';

/** A dashboard column: a grouping of stages with one icon per event. */
export interface ColumnConfig {
  key: string;
  /** One text for every language, or one per language: `{ es: 'Pedido', en: 'Order' }`. */
  label: StageLabel;
}

export interface FlagConfig {
  key: string;
  description: string;
  /** Value the flag gets when it is first created. (Default: true) */
  default?: boolean;
  /**
   * Who may change it: role names (see auth.roles) and/or e-mail addresses. The server
   * enforces this for every change. (Default: only the `admin` role)
   */
  allowed?: string[];
}

/**
 * How long the HTTP server waits for slow or silent clients, and how many connections one
 * address may hold. Without these a client that sends headers and half a body, then stops,
 * holds a socket and a file descriptor for ever: 600 such uploads once used up a 512 file
 * limit and every valid delivery was refused. The fields are `server.*` in webpig.config.ts.
 */
export interface ServerLimits {
  /** The whole request, headers and body, must arrive within this; else the socket is closed. (Default: 30_000 ms) */
  requestTimeoutMs?: number;
  /** The request headers must arrive within this. At most requestTimeoutMs. (Default: 10_000 ms) */
  headersTimeoutMs?: number;
  /** A socket with no traffic either way for this long is closed. (Default: 120_000 ms) */
  idleTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this; longer than a load balancer's usual 60 s. (Default: 72_000 ms) */
  keepAliveTimeoutMs?: number;
  /** Open connections one client address may hold; more are closed at once; 0 turns it off. (Default: 256) */
  maxConnectionsPerAddress?: number;
  /**
   * Addresses the per-address limit does not apply to: a reverse proxy carries everyone's
   * traffic on its own address. (Default: the loopback addresses 127.0.0.1 and ::1, where a
   * proxy on the same machine, and a local test, connect from)
   */
  connectionLimitExempt?: string[];
}

/** Reconciliation of one source (`reconcile.<source>` in the config). */
export interface ReconcileSettings {
  /** How often a worker reconciles it, e.g. '15m'. (Default: '15m') */
  every?: string;
  /** How far back each run lists, e.g. '48h'. (Default: '48h') */
  lookBack?: string;
  /** The provider's API. (Default: https://api.stripe.com, https://api.mercadopago.com, https://secure.epayco.co) */
  apiBaseUrl?: string;
  /**
   * The API credential. (Default: $WEBPIG_STRIPE_API_KEY for Stripe, $WEBPIG_MERCADOPAGO_ACCESS_TOKEN
   * for MercadoPago; ePayco's look-up needs none.) Never logged.
   */
  apiKey?: string;
  /** Stripe: the event types to list (at most 20, `*` wildcards). (Default: every type) */
  types?: string[];
  /** ePayco (no list endpoint): the references to look up, e.g. today's invoices' `x_ref_payco`. */
  references?: () => Promise<string[]> | string[];
}

/** What `webpig.config.ts` exports (default export). Validated once, at start. */
export interface WebpigConfig {
  /** Used when neither `--db` nor $WEBPIG_DATABASE_URL is given, which win over it. (Default: `sqlite:./webpig.db`) */
  database?: string;
  sources: SourceConfig[];
  pipelines: PipelineDefinition[];
  columns?: ColumnConfig[];
  flags?: FlagConfig[];
  auth?: AuthConfig;
  server?: ServerLimits & {
    /** (Default: 3000) */
    port?: number;
    /** (Default: 127.0.0.1) */
    host?: string;
    /** Largest webhook body accepted, in bytes. (Default: 1 MiB) */
    bodyLimitBytes?: number;
    /** The URL people use to reach the server (OIDC redirects, links in alerts). */
    publicUrl?: string;
    /** Believe X-Forwarded-For (set when a reverse proxy is in front). (Default: false) */
    trustProxy?: boolean;
    /**
     * Bearer token `/metrics` asks for (`Authorization: Bearer <token>`); the CLI also reads
     * WEBPIG_METRICS_TOKEN. (Default: none — then /metrics answers only loopback clients that
     * did not come through a proxy)
     */
    metricsToken?: string;
    /**
     * Load shedding: while this many events wait in the queue, new deliveries are answered 503
     * with `Retry-After: 60` instead of being stored, so the provider delivers them again later
     * and nothing is lost — the backlog stops growing. Only for providers that retry for long
     * (Stripe: days; MercadoPago: hours; ePayco retries only briefly). (Default: no limit)
     */
    maxQueuedEvents?: number;
  };
  worker?: {
    /** Events processed at once by one worker process. (Default: 4) */
    concurrency?: number;
    /** (Default: 30_000 ms) */
    leaseMs?: number;
    /**
     * Where a separate `webpig worker` serves its own /metrics (same access rule as the
     * server's). Under `webpig start` the worker's figures are on the server's /metrics.
     * (Default: not served)
     */
    metricsPort?: number;
    /** (Default: 127.0.0.1) */
    metricsHost?: string;
  };
  alerts?: {
    /**
     * Every alert (dead, retried, stuck, stage error rate, backlog, oversold, custom) is POSTed
     * here as JSON by the worker processes: once when it opens and once when it resolves; a muted
     * alert waits until its mute ends. Keep a token-bearing URL in an environment variable.
     * (Default: not forwarded; they are still shown on the dashboard and in /api/alerts)
     */
    webhookUrl?: string;
    /** HMAC-SHA256 key for the `webpig-signature: t=…,v1=…` header. (Default: unsigned) */
    webhookSecret?: string;
    /** Error rate of a stage, over the last hour, that raises an alert. (Default: 0.2) */
    stageErrorRate?: number;
    /** The oldest queued event waiting longer than this raises a `backlog` alert: the workers are behind. (Default: 300 s) */
    backlogAgeSeconds?: number;
    /** How often each worker checks the stuck, retried, error-rate and backlog conditions. (Default: 15 s) */
    checkEverySeconds?: number;
  };
  /**
   * How long finished data is kept. Every kind is kept forever unless its number is set: a
   * payment record is deleted only when someone chose to. Applied by every worker, in small
   * batches, and by `webpig purge`. Dead, retrying, queued and processing events and the audit
   * log are never deleted.
   */
  retention?: {
    /** Succeeded events whose last change is older than this many days, with their checkpoints, attempts and logs. (Default: kept) */
    succeededAfterDays?: number;
    /** Ignored events (no pipeline, stale or invalid transition) older than this many days. (Default: kept) */
    ignoredAfterDays?: number;
    /** Rejected deliveries (bad signature, malformed) older than this many days. (Default: kept, the newest 1,000) */
    rejectedDeliveriesAfterDays?: number;
    /** Rows deleted per transaction. (Default: 500) */
    batchSize?: number;
    /** How often each worker applies it. (Default: 60 minutes) */
    intervalMinutes?: number;
  };
  /**
   * Reconciliation with each provider's own records (docs/reconcile.md), per source name: every
   * worker lists the provider's payments or events of the last `lookBack` every `every`, and
   * creates the events whose webhooks never arrived. (Default: off for every source)
   */
  reconcile?: Record<string, ReconcileSettings>;
  dashboard?: {
    /** (Default: from the browser, Spanish when unsure) */
    locale?: 'es' | 'en';
    /** (Default: America/Bogota) */
    timeZone?: string;
    /** (Default: COP) */
    currency?: string;
  };
}

export function defineConfig(config: WebpigConfig): WebpigConfig {
  return config;
}
