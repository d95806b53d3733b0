import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { errorMessage } from '../../core/errors.js';
import { redactText } from '../../core/redaction.js';
import { hiddenCharacterIn } from '../../core/visible-text.js';
import type { IngestStore } from '../../store/store-roles.js';
import { createSourceAdapter } from '../../sources/adapters.js';
import { sourceWarnings, type ResolvedSourceConfig } from '../../sources/config.js';
import type { NormalizedDelivery, SourceAdapter } from '../../sources/source.js';
import { httpFailureOf, requestError } from '../http-errors.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { createIngestMetrics } from './metrics.js';

/**
 * `POST /webhooks/:source` (and `GET` for sources that take query confirmations): read the
 * exact body bytes, let the source's adapter verify them, commit the event (group commit),
 * and only then reply. Nothing is processed here; the worker picks the event up.
 *
 * Register it inside an app that has `installErrorHandler` (http-errors.ts), which turns the
 * errors thrown here (HttpErrors, the sources' SourceErrors) into `{ error: { code, message } }`
 * replies with the statuses of its one table; the rejection log and metrics read the same
 * table. The plugin is encapsulated: its catch-all body parser does not affect the rest of the app.
 */
export interface IngestPluginOptions {
  store: IngestStore;
  /** Parsed and resolved once, at start, with the config (src/config/resolve.ts). */
  sources: readonly ResolvedSourceConfig[];
  /** Largest body accepted; larger ones get 413. (Default: 1 MiB) */
  bodyLimitBytes?: number;
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** (Default: the app's logger) */
  logger?: FastifyBaseLogger;
  /** Where the ingestion metrics are registered. (Default: a new registry) */
  metricsRegistry?: Registry;
  groupCommit?: GroupCommitOptions;
  /** Rows kept in the log of rejected deliveries. (Default: 1000) */
  rejectionLogSize?: number;
  /**
   * Rejections written to the log per second, at most; the rest are only counted in metrics.
   * Each row is a durable write, so a flood of junk must not become a flood of fsyncs that
   * slows authentic deliveries down. (Default: 20)
   */
  rejectionLogPerSecond?: number;
  /**
   * Load shedding: while this many events are queued, deliveries get 503 + Retry-After and are
   * not stored, so providers deliver them later. (Default: no limit)
   */
  maxQueuedEvents?: number;
}

export interface IngestReply {
  id: number;
  status: 'accepted' | 'duplicate';
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const FIRST_BYTES = 256;

type WebhookRequest = FastifyRequest<{ Params: { source: string } }>;

export async function ingestPlugin(app: FastifyInstance, opts: IngestPluginOptions): Promise<void> {
  const configs = opts.sources;
  const adapters = new Map<string, SourceAdapter>(configs.map((config) => [config.name, createSourceAdapter(config)]));
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const clock = opts.now ?? (() => new Date());
  const log = opts.logger ?? app.log;
  for (const warning of sourceWarnings(configs)) log.warn({ warning: 'source' }, warning);
  const metrics = createIngestMetrics(opts.metricsRegistry);
  const committer = new GroupCommitter(opts.store, {
    concurrentBatches: opts.store.writeBatchesInFlight,
    ...opts.groupCommit,
    onBatch: (size, durationMs, failed) => {
      metrics.batchSize.observe(size);
      opts.groupCommit?.onBatch?.(size, durationMs, failed);
    },
  });
  app.addHook('onClose', async () => committer.close());
  const rejectionLogAllowed = perSecondLimiter(opts.rejectionLogPerSecond ?? 20);

  // Signatures are computed over bytes: every body, whatever its type, arrives as a Buffer and
  // the adapter decides whether its type is acceptable (415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  // Runs for every error of these routes, before the app's error handler writes the reply.
  app.addHook('onError', async (request: WebhookRequest, _reply: FastifyReply, error: FastifyError) => {
    const { statusCode: status, code: reason } = httpFailureOf(error);
    if (status < 400 || status >= 500) return;
    const requested = String(request.params?.source ?? '').slice(0, 64);
    const known = adapters.has(requested);
    metrics.rejections.inc({ source: known ? requested : '_unknown', reason });
    if (!rejectionLogAllowed(Date.now())) return;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(queryOf(request));
    try {
      await opts.store.recordRejection(
        {
          at: clock(),
          source: requested,
          httpStatus: status,
          reason: `${reason}: ${error.message}`.slice(0, 500),
          remoteAddress: request.ip ?? null,
          // Redacted as the payload view is (a signature, a card number): whoever reads the
          // log reads it. Cut before (a body may be 1 MiB) and after, to the bytes it keeps.
          firstBytes: redactText(body.subarray(0, FIRST_BYTES * 4).toString('utf8')).slice(0, FIRST_BYTES),
        },
        opts.rejectionLogSize ?? 1000,
      );
    } catch (err) {
      log.warn({ source: requested, error: errorMessage(err) }, 'could not record a rejected delivery');
    }
  });

  const backlog = opts.maxQueuedEvents === undefined ? null : queuedCounter(opts.store);

  const handler = async (request: WebhookRequest, reply: FastifyReply): Promise<IngestReply> => {
    const name = request.params.source;
    const adapter = adapters.get(name);
    if (!adapter) throw requestError('UNKNOWN_SOURCE', `no webhook source named "${name.slice(0, 64)}"`);
    if (backlog && opts.maxQueuedEvents !== undefined) {
      // Before verifying: an overloaded server spends nothing (not even ePayco's validation
      // call) on a delivery it will not keep. Not acknowledged, so the provider sends it again.
      const queued = await backlog();
      if (queued >= opts.maxQueuedEvents) {
        metrics.shed.inc({ source: name });
        void reply.header('retry-after', '60');
        throw requestError(
          'BACKLOG_FULL',
          `${queued} events are waiting to be processed (limit ${opts.maxQueuedEvents}); deliver again later`,
        );
      }
    }
    if (request.method === 'GET' && !adapter.acceptsGet) {
      throw requestError('METHOD_NOT_ALLOWED', `source "${name}" takes deliveries by POST`);
    }
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const receivedAt = clock();
    // A SourceError thrown here is answered by the error handler, with the table's status for its code.
    const delivery = await adapter.verify(
      {
        method: request.method === 'GET' ? 'GET' : 'POST',
        headers: request.headers,
        rawQuery: queryOf(request),
        rawBody,
        remoteAddress: request.ip ?? null,
      },
      receivedAt,
    );
    checkIdentity(delivery);
    const contentType = request.headers['content-type'] ?? null;
    let result;
    try {
      result = await committer.submit({ ...delivery, source: name, receivedAt, rawBody, contentType });
    } catch (err) {
      metrics.commitFailures.inc({ source: name });
      log.error({ source: name, providerEventId: delivery.providerEventId, error: errorMessage(err) }, 'could not commit a delivery');
      throw requestError('COMMIT_FAILED', 'the delivery could not be stored; please retry', { cause: err });
    }
    const status = result.duplicate ? 'duplicate' : 'accepted';
    metrics.deliveries.inc({ source: name, outcome: status });
    return { id: result.id, status };
  };

  app.post('/webhooks/:source', { bodyLimit }, handler);
  app.get('/webhooks/:source', { exposeHeadRoute: false }, handler);
}

/** The number of queued events, read at most once a second (shedding must stay cheap under load). */
function queuedCounter(store: IngestStore): () => Promise<number> {
  let cached: { at: number; value: Promise<number> } | null = null;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= 1_000) {
      const value = store.queueStats().then((stats) => stats.byStatus.queued);
      // A failed read is not cached: the next delivery asks again.
      value.catch(() => (cached = null));
      cached = { at: now, value };
    }
    return cached.value;
  };
}

/**
 * Largest identity field, in UTF-8 bytes. They are indexed, and a PostgreSQL index entry over
 * ~2.7 KB fails the insert: a delivery with a longer id would be answered 503 on every retry.
 */
const MAX_IDENTITY_BYTES = 1024;

/**
 * The identity fields are short and printable. A provider never puts a control, bidirectional
 * or zero-width character in an event id or type (U+202E would make one id look like another on
 * the dashboard), so such a delivery is refused. The entity key is not: it may hold text the
 * merchant's checkout passed on (ePayco's invoice), and an authentic payment is not refused for
 * it; the dashboard and the CLI show such characters as `[U+202E]`.
 */
function checkIdentity(delivery: NormalizedDelivery): void {
  const fields = [
    { what: 'event id', value: delivery.providerEventId, printable: true },
    { what: 'entity key', value: delivery.entityKey, printable: false },
    { what: 'event type', value: delivery.type, printable: true },
  ] as const;
  for (const { what, value, printable } of fields) {
    if (value === null) continue;
    if (Buffer.byteLength(value) > MAX_IDENTITY_BYTES) {
      throw requestError('MALFORMED_BODY', `the ${what} is longer than ${MAX_IDENTITY_BYTES} bytes`);
    }
    const hidden = printable ? hiddenCharacterIn(value) : null;
    if (hidden !== null) {
      throw requestError(
        'MALFORMED_BODY',
        `the ${what} contains ${hidden}, a control, bidirectional or invisible character no provider puts in an ${what === 'event id' ? 'id' : 'event type'}: ` +
          'it could make one event look like another, so the delivery is refused; check what sends it',
      );
    }
  }
}

/** True for at most `limit` calls per wall-clock second. */
function perSecondLimiter(limit: number): (nowMs: number) => boolean {
  let second = -1;
  let used = 0;
  return (nowMs) => {
    const current = Math.floor(nowMs / 1000);
    if (current !== second) {
      second = current;
      used = 0;
    }
    used++;
    return used <= limit;
  };
}

function queryOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '';
  const mark = url.indexOf('?');
  return mark < 0 ? '' : url.slice(mark + 1);
}
