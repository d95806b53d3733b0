import { createHash, timingSafeEqual } from 'node:crypto';

/** What decides who may read /metrics: the request's socket address and two headers. */
export interface MetricsRequest {
  /** The peer of the TCP connection (never X-Forwarded-For: a client can write that). */
  socketAddress: string | undefined;
  authorization: string | undefined;
  /** True when a proxy says it forwarded the request (X-Forwarded-For, Forwarded, X-Real-IP). */
  proxied: boolean;
}

export type MetricsVerdict = { allowed: true } | { allowed: false; status: 401 | 403; code: string; message: string };

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * With a token configured, /metrics asks every client for it. Without one it answers only
 * clients on this machine that did not come through a proxy: a reverse proxy on the same
 * host connects from 127.0.0.1 on behalf of anyone, so a forwarded request is refused too.
 */
export function metricsVerdict(request: MetricsRequest, token: string | undefined): MetricsVerdict {
  if (token) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? '');
    // Digests first: timingSafeEqual needs equal lengths, and the token's length stays secret.
    if (match?.[1] && timingSafeEqual(digest(match[1]), digest(token))) return { allowed: true };
    return {
      allowed: false,
      status: 401,
      code: 'METRICS_TOKEN_REQUIRED',
      message: '/metrics needs `Authorization: Bearer <token>` with the token of server.metricsToken (WEBPIG_METRICS_TOKEN)',
    };
  }
  if (!request.proxied && LOOPBACK.test(request.socketAddress ?? '')) return { allowed: true };
  return {
    allowed: false,
    status: 403,
    code: 'METRICS_NOT_PUBLIC',
    message:
      '/metrics answers only local clients (127.0.0.1, ::1, not through a proxy) while no token is set: ' +
      'set server.metricsToken or WEBPIG_METRICS_TOKEN and send `Authorization: Bearer <token>`',
  };
}

export function isProxied(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined || headers['x-real-ip'] !== undefined;
}
