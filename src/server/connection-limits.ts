import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLimits } from '../config/types.js';

/** Defaults of the `server.*` limits (each documented in src/config/sections.ts, serverLimitsShape). */
export const SERVER_LIMIT_DEFAULTS = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 72_000,
  maxConnectionsPerAddress: 256,
  connectionLimitExempt: ['127.0.0.1', '::1'],
} as const;

export type ResolvedServerLimits = {
  -readonly [K in keyof typeof SERVER_LIMIT_DEFAULTS]-?: K extends 'connectionLimitExempt' ? string[] : number;
};

export function resolveServerLimits(limits: ServerLimits = {}): ResolvedServerLimits {
  const resolved = {
    requestTimeoutMs: limits.requestTimeoutMs ?? SERVER_LIMIT_DEFAULTS.requestTimeoutMs,
    headersTimeoutMs: limits.headersTimeoutMs ?? SERVER_LIMIT_DEFAULTS.headersTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs ?? SERVER_LIMIT_DEFAULTS.idleTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? SERVER_LIMIT_DEFAULTS.keepAliveTimeoutMs,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? SERVER_LIMIT_DEFAULTS.maxConnectionsPerAddress,
    connectionLimitExempt: limits.connectionLimitExempt ?? [...SERVER_LIMIT_DEFAULTS.connectionLimitExempt],
  };
  // Node refuses a headers timeout above the request timeout; a smaller request timeout wins.
  resolved.headersTimeoutMs = Math.min(resolved.headersTimeoutMs, resolved.requestTimeoutMs);
  return resolved;
}

/** The Fastify options that carry the timeouts. */
export function fastifyTimeoutOptions(limits: ResolvedServerLimits): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node looks for overdue requests on this interval (its default, 30 s, would let a stalled
      // upload outlive a short request timeout by up to 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  };
}

/** IPv4 clients of a dual-stack socket arrive as `::ffff:1.2.3.4`: count them as `1.2.3.4`. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Closes a new connection at once when its address already holds `max` open ones. */
export function limitConnectionsPerAddress(server: Server, limits: ResolvedServerLimits): void {
  const max = limits.maxConnectionsPerAddress;
  if (max <= 0) return;
  const exempt = new Set(limits.connectionLimitExempt.map(normalizeAddress));
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    if (socket.remoteAddress === undefined) return;
    const address = normalizeAddress(socket.remoteAddress);
    if (exempt.has(address)) return;
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
