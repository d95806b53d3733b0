/**
 * Forwards every stored alert to the configured `alerts.webhookUrl` as signed JSON POSTs: once
 * when it opens and once when it resolves (`transition`), whatever its kind — the periodic
 * condition check (alert-conditions.ts) stores stuck, retried, error-rate and backlog alerts too.
 *
 * The alerts table is the outbox: an alert is committed by whoever raises it, and this loop
 * claims due transitions (`claimAlertsToForward`, safe across processes and restarts), POSTs
 * them, and records each one as sent on a 2xx (never claimed again) or schedules another try.
 * A muted alert waits. Each POST carries `deliveryId` (`<alert id>:<transition>`, also in the
 * `webpig-delivery-id` header): the one case a transition can arrive twice is a forwarder killed
 * after the receiver answered 2xx and before the store recorded it, and the id is the same.
 */
import { createHmac } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { loggerOptions } from '../core/logging.js';
import type { ResolvedConfig } from '../config/types.js';
import type { AlertToForward } from '../store/store.js';
import type { JobStore } from '../store/store-roles.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface AlertForwarderOptions {
  store: JobStore;
  /** Where alerts are POSTed. It is never logged whole: such URLs often embed a token. */
  url: string;
  /** Signs each POST in a `webpig-signature: t=…,v1=…` header when set. (Default: unsigned) */
  secret?: string;
  /** Sleep between rounds when nothing is due. (Default: 2_000 ms) */
  pollMs?: number;
  /** One POST's time limit. (Default: 10_000 ms) */
  timeoutMs?: number;
  /** Openings (and resolutions) older than this when first claimable are never sent. (Default: 24 h) */
  maxAgeMs?: number;
  /** Waits after the n-th failed try; the last one repeats. (Default: 30 s, 1, 5, 15 min) */
  retryDelaysMs?: readonly number[];
  /** (Default: a pino logger at level info) */
  logger?: Logger;
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** Where forwarded and failed tries are counted. (Default: not counted) */
  metrics?: WorkerMetrics;
}

export interface AlertForwarder {
  start(): void;
  /** Stops after the POST in flight, if any. */
  stop(): Promise<void>;
  /** One round now: claims what is due and sends it. Returns how many were delivered. */
  forwardDue(): Promise<number>;
}

const CLAIM_BATCH = 20;
const DEFAULT_RETRY_DELAYS_MS = [30_000, 60_000, 5 * 60_000, 15 * 60_000] as const;

/** The header value for `body` signed at `timestampSeconds`: HMAC-SHA256 of `${t}.${body}`. */
export function signAlertBody(secret: string, body: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** The same for every try of one transition: what a receiver dedupes on. */
export function alertDeliveryId(alert: Pick<AlertToForward, 'id' | 'transition'>): string {
  return `${alert.id}:${alert.transition}`;
}

/** The JSON body of one alert transition. `text` is a one-line summary for chat-style incoming webhooks. */
export function alertPayload(alert: AlertToForward): string {
  const resolved = alert.transition === 'resolved';
  return JSON.stringify({
    text: `[webpig] ${resolved ? 'resolved ' : ''}${alert.kind}: ${alert.message}`,
    deliveryId: alertDeliveryId(alert),
    transition: alert.transition,
    alert: {
      id: alert.id,
      kind: alert.kind,
      subject: alert.subject,
      at: alert.at.toISOString(),
      lastSeenAt: alert.lastSeenAt.toISOString(),
      occurrences: alert.occurrences,
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      eventId: alert.eventId,
      stage: alert.stage,
      message: alert.message,
      details: alert.details,
    },
  });
}

/** The forwarder `alerts` in the config asks for, or null when it names no webhook. */
export function alertForwarderFromConfig(
  store: JobStore,
  alerts: ResolvedConfig['alerts'],
  logger?: Logger,
  metrics?: WorkerMetrics,
): AlertForwarder | null {
  if (!alerts?.webhookUrl) return null;
  return createAlertForwarder({ store, url: alerts.webhookUrl, secret: alerts.webhookSecret, logger, metrics });
}

export function createAlertForwarder(options: AlertForwarderOptions): AlertForwarder {
  const { store } = options;
  const pollMs = options.pollMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60_000;
  const delays = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
  const now = options.now ?? (() => new Date());
  const target = new URL(options.url).origin; // what the logs may say about the URL
  const logger = (options.logger ?? pino(loggerOptions('info', 'webpig-alerts'))).child({ alertWebhook: target });
  // A claim outlives one POST's time limit, so a slow receiver is not sent the alert twice.
  const claimMs = timeoutMs * 3;
  let timer: NodeJS.Timeout | null = null;
  let round: Promise<number> | null = null;
  let stopped = false;

  const send = async (alert: AlertToForward): Promise<string | null> => {
    const body = alertPayload(alert);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'webpig-alerts',
      'webpig-delivery-id': alertDeliveryId(alert),
    };
    if (options.secret) headers['webpig-signature'] = signAlertBody(options.secret, body, Math.floor(now().getTime() / 1000));
    try {
      const reply = await fetch(options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      await reply.body?.cancel();
      return reply.ok ? null : `HTTP ${reply.status}`;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') return `no reply within ${timeoutMs} ms`;
      // fetch wraps the socket error; its code (ECONNREFUSED, ENOTFOUND) is what helps an operator.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return `request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`;
    }
  };

  const forwardDue = async (): Promise<number> => {
    const at = now();
    const claimed = await store.claimAlertsToForward({
      now: at,
      recordedSince: new Date(at.getTime() - maxAgeMs),
      claimUntil: new Date(at.getTime() + claimMs),
      limit: CLAIM_BATCH,
    });
    let delivered = 0;
    for (const alert of claimed) {
      const failure = await send(alert);
      options.metrics?.alertForwarded(failure === null ? 'forwarded' : 'failed');
      if (failure === null) {
        await store.markAlertForwarded(alert.id, now(), alert.transition);
        delivered += 1;
        continue;
      }
      const delay = delays[Math.min(alert.forwardAttempts, delays.length) - 1] ?? 0;
      await store.markAlertForwardFailed(alert.id, {
        nextAt: new Date(now().getTime() + delay),
        error: failure,
        transition: alert.transition,
      });
      logger.warn(
        { alertId: alert.id, transition: alert.transition, attempt: alert.forwardAttempts, error: failure, retryInMs: delay },
        'alert not forwarded',
      );
    }
    return delivered;
  };

  const tick = (): void => {
    if (stopped) return;
    round = forwardDue()
      .catch((err: unknown) => {
        logger.error({ err }, 'alert forwarding round failed');
        return 0;
      })
      .finally(() => {
        round = null;
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };

  return {
    forwardDue,
    start() {
      if (timer !== null || round !== null || stopped) return;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await round;
    },
  };
}
