/**
 * The load both ingestion benchmarks (bench/ingest.ts, bench/peers.ts) put on a server: autocannon
 * posting a fresh, distinct, signed ~1.5 KB delivery of the custom source `bench` on every
 * request (so none is a duplicate), and that source's config for the servers that check them.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SourceConfig } from '../src/sources/config.js';
import { signCustom } from '../src/sources/signing.js';

export const SECRET = 'bench-secret';
export const SOURCE = 'bench';
export const TIMESTAMP_HEADER = 'x-webpig-timestamp';

/** The source the servers under load are configured with: the deliveries below verify against it. */
export const BENCH_SOURCE: SourceConfig = {
  name: SOURCE,
  kind: 'custom',
  secrets: [SECRET],
  timestampHeader: TIMESTAMP_HEADER,
  paths: { eventId: 'id', entityKey: 'order.id', type: 'type', occurredAt: 'occurred_at', transactionStatus: 'order.status' },
};

// autocannon ships no type declarations: this is the part of its API the benchmarks use.
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
export interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  requests: Array<{ setupRequest: (request: AutocannonRequest) => AutocannonRequest }>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** A fresh, distinct, signed delivery of about 1.5 KB. */
function signedRequest(): AutocannonRequest {
  const body = {
    id: randomUUID(),
    type: 'order.paid',
    order: { id: `order-${randomUUID().slice(0, 8)}`, status: 'accepted', amount: 250000, currency: 'COP' },
    customer: { name: 'Juan Pérez', email: 'juan@example.com', document: '1020304050', phone: '3001234567' },
    occurred_at: new Date().toISOString(),
    notes: 'x'.repeat(1200),
  };
  const signed = signCustom({ secret: SECRET, body, timestampHeader: TIMESTAMP_HEADER });
  return { method: 'POST', path: `/webhooks/${SOURCE}`, headers: signed.headers, body: signed.body };
}

/** `duration` seconds of signed deliveries on `connections` connections (one request in flight each) to 127.0.0.1:`port`. */
export function loadWithSignedDeliveries(port: number, connections: number, duration: number): Promise<AutocannonResult> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    duration,
    requests: [{ setupRequest: (request) => ({ ...request, ...signedRequest() }) }],
  });
}
